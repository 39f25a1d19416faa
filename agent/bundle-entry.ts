// Entry of the bundled agent (dist/bootwatch-agent.mjs): `node bootwatch-agent.mjs [--dry-run]`.
import { runAgentCommand } from './agent-command.js';

const args = process.argv.slice(2);
runAgentCommand(args[0] === 'agent' ? args.slice(1) : args).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Configuration errors: one line naming the field (BootwatchError), no stack.
    const err = e as { code?: string; message?: string };
    process.stderr.write(
      `bootwatch-agent: ${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}\n`,
    );
    process.exitCode = 1;
  },
);
