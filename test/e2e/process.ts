// A server binary (prometheus, alertmanager) run by the end-to-end test: listening on
// 127.0.0.1:0, its bound port read from its log line `msg="Listening on" address=127.0.0.1:N`,
// stopped by its own pid (SIGTERM, then SIGKILL after a grace period).
import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Base URL once listening, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Everything it logged, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const ListeningLine = /msg="Listening on" address=(127\.0\.0\.1:\d+)/;

export async function startProcess(
  name: string,
  bin: string,
  args: string[],
  startTimeoutMs = 20_000,
): Promise<RunningProcess> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not listen within ${startTimeoutMs} ms:\n${output}`)),
      startTimeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = ListeningLine.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${String(code)} before listening:\n${output}`));
    });
  }).catch(async (e: unknown) => {
    if (!exited) child.kill('SIGKILL');
    await exit;
    throw e;
  });
  return {
    name,
    child,
    url: `http://${address}`,
    log: () => output,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const grace = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(grace);
    },
  };
}
