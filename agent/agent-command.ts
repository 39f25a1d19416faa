// `bootwatch agent`: report this boot, then exit (or stay for heartbeats). Also the bundled
// agent's entry (dist/bootwatch-agent.mjs). Logs go to stderr (the journal); --dry-run prints the
// OTLP JSON request body on stdout and sends nothing.
import { fstatSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import { loadAgentConfig, requireCollectorUrl } from './config.js';
import type { LogLevel } from './deliver.js';
import { dryRun } from './dry-run.js';
import { runHeartbeats } from './heartbeat.js';
import { runAgent, type AgentRunResult, type AgentRuntime } from './run-agent.js';

const Help = `usage: bootwatch agent [--config FILE] [--dry-run]

Reports this boot to the bootwatch collector: waits for cloud-init and the readiness probes (up to
the boot deadline), builds one boot record, spools it, and sends it as OTLP/HTTP metrics.

  --config FILE   the agent's YAML config (default: $BOOTWATCH_CONFIG)
  --dry-run       observe and judge this boot, print the OTLP JSON body it would send, exit 0;
                  writes nothing and sends nothing
  -h, --help      this text

Exit codes: 0 reported (or already reported), 1 configuration error, 65 the collector refused the
report (kept in the spool's rejected/ folder, not sent again), 75 the report is still in the spool
(systemd restarts the agent, which sends it).`;

/** The exit codes of the Help text (65 and 75 are sysexits' EX_DATAERR and EX_TEMPFAIL). */
export const ExitCode = { reported: 0, config: 1, rejected: 65, spooled: 75 } as const;

/** syslog priorities, which journald reads from a "<N>" line prefix (SyslogLevelPrefix=yes). */
const JournalPriority: Record<LogLevel, number> = { error: 3, warning: 4 };

/**
 * Whether stderr is the journal: systemd sets JOURNAL_STREAM to the "device:inode" of the stream
 * it connected, which a child that redirected stderr elsewhere would still inherit.
 */
function stderrIsJournal(): boolean {
  const stream = process.env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const st = fstatSync(2, { bigint: true });
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

function runtime(): AgentRuntime {
  const journal = stderrIsJournal();
  return {
    clock: systemClock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (msg, level) => {
      const priority = level && journal ? `<${JournalPriority[level]}>` : '';
      process.stderr.write(`${priority}bootwatch-agent: ${level ? `${level}: ` : ''}${msg}\n`);
    },
  };
}

/** The fate of this boot's report. (An earlier boot's report refused in this run is logged.) */
export function exitCodeOf(result: AgentRunResult): number {
  if (result.action === 'left_in_spool') return ExitCode.spooled;
  if (result.action === 'rejected') return ExitCode.rejected;
  return ExitCode.reported;
}

export async function runAgentCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(Help);
    return 0;
  }
  const file = values.config ?? process.env.BOOTWATCH_CONFIG;
  const config = loadAgentConfig({ ...(file ? { file } : {}), env: process.env });
  const rt = runtime();
  if (values['dry-run']) return dryRun(config, rt);

  const collectorUrl = requireCollectorUrl(config, file);
  let result;
  try {
    result = await runAgent(config, collectorUrl, rt);
  } catch (e) {
    rt.log(`could not report this boot: ${errorMessage(e)}`, 'error');
    return ExitCode.spooled;
  }
  rt.log(`boot ${result.bootId}: ${result.action.replaceAll('_', ' ')}`);
  const code = exitCodeOf(result);
  // Heartbeats only once the collector holds this boot: otherwise the report would wait in the
  // spool (or in rejected/) while heartbeats told the collector all was well.
  if (code === ExitCode.reported && config.heartbeat.enabled) {
    await runHeartbeats(config, collectorUrl, rt, result.bootId);
  }
  return code;
}
