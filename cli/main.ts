// `bootwatch <command>`: one entry for every part. Each command is imported only when it runs, so
// that `bootwatch agent` on an instance never loads the collector (or the reverse).
import { errorMessage, isBootwatchError } from '../shared/errors.js';

interface Command {
  summary: string;
  run: (argv: string[]) => Promise<number>;
}

const commands: Record<string, Command> = {
  agent: {
    summary:
      'report this boot to the collector (run by systemd at boot); --dry-run prints the OTLP body',
    run: async (argv) => (await import('../agent/agent-command.js')).runAgentCommand(argv),
  },
  collector: {
    summary: 'run the collector (OTLP and EventBridge intake, store, /metrics, JSON API)',
    run: async (argv) => (await import('./collector-command.js')).runCollectorCommand(argv),
  },
  generate: {
    summary: 'write the Prometheus rules (rules) or Grafana dashboards (dashboards) for the SLOs',
    run: async (argv) => (await import('./generate-command.js')).runGenerateCommand(argv),
  },
  slo: {
    summary:
      "validate an SLO file (bootwatch YAML or OpenSLO); print a collector's SLO status table",
    run: async (argv) => (await import('./slo-command.js')).runSloCommand(argv),
  },
  scan: {
    summary: "send a scanner's report of an AMI (submit); ask the scan gate about a version (gate)",
    run: async (argv) => (await import('./scan-command.js')).runScanCommand(argv),
  },
  verdict: {
    summary:
      'the rollout verdict (promote, hold, rollback) with its checks; exit 0, 4, 3; --wait polls',
    run: async (argv) => (await import('./verdict-command.js')).runVerdictCommand(argv),
  },
  simulate: {
    summary: 'run a simulated fleet (real agents, fake IMDS and machines) against a collector',
    run: async (argv) => (await import('./simulate-command.js')).runSimulateCommand(argv),
  },
  demo: {
    summary: 'start the collector, run a short simulated rollout, show the results, keep serving',
    run: async (argv) => (await import('./demo-command.js')).runDemoCommand(argv),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return [
    'usage: bootwatch <command> [options]',
    '',
    'Does this AMI boot, how fast, and is the new version worse than the last one?',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'bootwatch <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`bootwatch: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    // Configuration and usage errors end here: one line that names the problem, no stack.
    console.error(
      `bootwatch ${name}: ${isBootwatchError(e) ? `${e.code}: ${e.message}` : errorMessage(e)}`,
    );
    return 1;
  }
}
