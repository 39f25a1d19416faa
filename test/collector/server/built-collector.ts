// The built `bootwatch collector` (bin/bootwatch.mjs running dist/, as operators run it) in a
// process of its own, configured by the environment only, for the tests of startup and shutdown.
// Needs `npm run build` first.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../../../bin/bootwatch.mjs', import.meta.url));
const compiled = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

/** True when dist/ was built; the tests fail with a clear message otherwise. */
export function assertBuilt(): void {
  if (!existsSync(compiled)) throw new Error(`${compiled} is missing: run \`npm run build\` first`);
}

export interface CollectorProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** The exit code (or the signal's name) once it exited. */
  readonly exited: Promise<number | string>;
  /** Resolves with the bound base URL once the collector logged that it listens. */
  listening(timeoutMs?: number): Promise<string>;
}

/**
 * Starts the collector with `env` over a clean environment (no BOOTWATCH_* inherited, so that a
 * developer's shell cannot change what the test sees).
 */
export function startBuiltCollector(env: Record<string, string>): CollectorProcess {
  assertBuilt();
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('BOOTWATCH_')),
  );
  const child = spawn(process.execPath, [bin, 'collector'], {
    cwd: repoRoot,
    env: { ...base, BOOTWATCH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    output: () => out,
    exited,
    async listening(timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = /"url":"(http:\/\/[^"]+)".*bootwatch collector listening/.exec(out);
        if (m) return m[1]!;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`the collector exited before listening:\n${out}`);
        }
        if (Date.now() > until) throw new Error(`no listening line in ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** Stops a child this test started, by its own pid, if it is still running. */
export async function killIfRunning(p: CollectorProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}
