// The simulated instances' systemd. The agent asks `systemctl` for failed units; in-process, that
// would be the systemd of the machine running the simulator, whose failed units (a laptop often
// has one) would turn every simulated boot into unit_failed. While a simulation runs, a
// `systemctl` that answers as on a machine without systemd (the agent then leaves systemd out)
// comes first on PATH. The agent runs it through execFile, which looks programs up in the PATH of
// the environment it passes, read at each call.
// An injectable systemd source in AgentRuntime would make this unnecessary.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const Script = `#!/bin/sh
echo "System has not been booted with systemd as init system (PID 1). Can't operate." >&2
echo "Failed to connect to bus: Host is down" >&2
exit 1
`;

/** Puts the fake first on PATH; returns the function that restores PATH. */
export function installFakeSystemctl(dir: string): () => void {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const file = join(bin, 'systemctl');
  writeFileSync(file, Script);
  chmodSync(file, 0o755);
  const before = process.env.PATH;
  process.env.PATH = before ? `${bin}${delimiter}${before}` : bin;
  return () => {
    if (before === undefined) delete process.env.PATH;
    else process.env.PATH = before;
  };
}
