// The servers the benchmarks load, each in a process of its own (bench/servers.mjs, from the
// compiled dist/): started, waited for until they print `LISTENING <url>`, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startServer(
  kind: 'echo' | 'decode' | 'collector',
  env: NodeJS.ProcessEnv = {},
): Promise<Server> {
  return new Promise((resolve, reject) => {
    // BENCH_NODE_ARGS: node flags for the servers, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const child = spawn(process.execPath, [...nodeArgs, 'bench/servers.mjs', kind], {
      env: { ...process.env, BOOTWATCH_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${kind} did not start`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          child,
          stop: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
}
