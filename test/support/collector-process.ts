// A collector in a process of its own (test/collector/server/collector-child.ts), configured by
// the environment given on top of the tests' own, for the tests that kill it or run replicas.
// Resolves once it prints `LISTENING <url>`; rejects with its stderr if it exits first.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const childScript = fileURLToPath(
  new URL('../collector/server/collector-child.ts', import.meta.url),
);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface CollectorProcess {
  process: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startCollectorProcess(
  env: Record<string, string>,
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    cwd: repoRoot,
    env: { ...process.env, BOOTWATCH_CONFIG: '', BOOTWATCH_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((e) =>
      reject(new Error(`collector exited (${e.code ?? e.signal}) before listening: ${stderr}`)),
    );
  });
  return { process: child, url, exited };
}
