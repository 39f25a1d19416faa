import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ProbeConfig } from '../../agent/config.js';
import {
  probeFailureDetail,
  realSleep,
  runProbes,
  type ProbeResult,
  type Sleep,
} from '../../agent/probes.js';
import { ManualClock, systemClock } from '../../shared/clock.js';

const dir = mkdtempSync(join(tmpdir(), 'bootwatch-probes-'));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fast = { timeout: 1000, interval: 20 };

function probe(fields: Partial<ProbeConfig> & Pick<ProbeConfig, 'name' | 'type'>): ProbeConfig {
  return { ...fast, ...fields } as ProbeConfig;
}

/** An HTTP server on 127.0.0.1 answering each request with the next status (the last repeats). */
async function serveStatuses(statuses: number[]): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    const status = statuses[Math.min(requests, statuses.length - 1)]!;
    requests += 1;
    res.writeHead(status).end();
  });
  await listen(server, 0);
  closers.push(() => close(server));
  return { url: `http://127.0.0.1:${portOf(server)}/healthz`, requests: () => requests };
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function close(server: net.Server): Promise<void> {
  if (server instanceof http.Server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** A sleep that runs `hook` before each wait: how a test changes the world between attempts. */
function sleepAfter(hook: (waits: number) => Promise<void> | void): Sleep {
  let waits = 0;
  return async (ms, signal) => {
    await hook(++waits);
    await realSleep(ms, signal);
  };
}

const soon = (ms: number) => Date.now() + ms;
const byName = (results: ProbeResult[], name: string) => results.find((r) => r.name === name)!;

describe('runProbes over loopback', () => {
  it('passes an http probe once the server answers the expected status', async () => {
    const server = await serveStatuses([503, 503, 200]);
    const outcome = await runProbes(
      [probe({ name: 'web', type: 'http', url: server.url, expect_status: 200 })],
      {
        deadlineMs: soon(10_000),
        clock: systemClock,
      },
    );
    expect(outcome.allPassed).toBe(true);
    expect(outcome.results).toEqual([
      {
        name: 'web',
        passed: true,
        firstPassedAt: outcome.readyAt,
        attempts: 3,
        lastError: 'HTTP 503, expected 200',
      },
    ]);
    expect(server.requests()).toBe(3);
  });

  it('passes a tcp probe once the port opens', async () => {
    const probeServer = net.createServer((socket) => socket.destroy());
    await listen(probeServer, 0);
    const port = portOf(probeServer);
    await close(probeServer);
    const late = net.createServer((socket) => socket.destroy());
    closers.push(() => (late.listening ? close(late) : Promise.resolve()));
    const sleep = sleepAfter(async (waits) => {
      if (waits === 2) await listen(late, port);
    });
    const outcome = await runProbes([probe({ name: 'db', type: 'tcp', host: '127.0.0.1', port })], {
      deadlineMs: soon(10_000),
      clock: systemClock,
      sleep,
    });
    const db = byName(outcome.results, 'db');
    // Attempts start an interval apart; one that ran longer than the interval skips a sleep, so
    // under load more attempts than sleeps can happen before the port opens.
    expect(db.passed).toBe(true);
    expect(db.attempts).toBeGreaterThanOrEqual(3);
    expect(db.lastError).toContain('ECONNREFUSED');
  });

  it('passes a command that exits 0 and fails one that exits 1 until the deadline', async () => {
    const outcome = await runProbes(
      [
        probe({
          name: 'ok',
          type: 'command',
          command: [process.execPath, '-e', 'process.exit(0)'],
        }),
        probe({
          name: 'broken',
          type: 'command',
          command: [process.execPath, '-e', 'console.error("not ready"); process.exit(1)'],
        }),
      ],
      { deadlineMs: soon(1500), clock: systemClock },
    );
    expect(outcome.allPassed).toBe(false);
    expect(outcome.readyAt).toBeNull();
    expect(byName(outcome.results, 'ok')).toMatchObject({
      passed: true,
      attempts: 1,
      lastError: null,
    });
    const broken = byName(outcome.results, 'broken');
    expect(broken.passed).toBe(false);
    expect(broken.firstPassedAt).toBeNull();
    expect(broken.attempts).toBeGreaterThan(1);
    expect(broken.lastError).toBe(`${process.execPath} exited with status 1: not ready`);
    expect(probeFailureDetail(outcome)).toBe(
      `probe broken did not pass in ${broken.attempts} attempts (last error: ${broken.lastError})`,
    );
  });

  it('fails a command that cannot be run, saying why', async () => {
    const outcome = await runProbes(
      [probe({ name: 'missing', type: 'command', command: [join(dir, 'no-such-program')] })],
      { deadlineMs: soon(200), clock: systemClock },
    );
    expect(byName(outcome.results, 'missing').lastError).toBe(
      `cannot run ${join(dir, 'no-such-program')}: spawn ${join(dir, 'no-such-program')} ENOENT`,
    );
  });

  it('kills a hung command and what it started when its attempt times out', async () => {
    const pids = join(dir, 'hung-pids');
    // The command starts a grandchild, records both pids, and never exits. The timeout leaves it
    // ample time to write the pids on a busy machine.
    const script = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pids)}, process.pid + ' ' + child.pid);
      setInterval(() => {}, 1000);`;
    const outcome = await runProbes(
      [
        probe({
          name: 'hung',
          type: 'command',
          command: [process.execPath, '-e', script],
          timeout: 2000,
          interval: 60_000,
        }),
      ],
      { deadlineMs: soon(2500), clock: systemClock },
    );
    expect(byName(outcome.results, 'hung')).toMatchObject({
      passed: false,
      attempts: 1,
      lastError: 'no answer within 2s',
    });
    for (const pid of readFileSync(pids, 'utf8').split(' ').map(Number)) {
      expect(await goneWithin(pid, 5000), `process ${pid} was killed`).toBe(true);
    }
  });

  it('passes a file probe once the file appears under the root prefix', async () => {
    const root = join(dir, 'root-file');
    mkdirSync(join(root, 'run/app'), { recursive: true });
    const sleep = sleepAfter((waits) => {
      if (waits === 3) writeFileSync(join(root, 'run/app/ready'), '');
    });
    const outcome = await runProbes(
      [probe({ name: 'marker', type: 'file', path: '/run/app/ready' })],
      {
        deadlineMs: soon(10_000),
        clock: systemClock,
        sleep,
        root,
      },
    );
    const marker = byName(outcome.results, 'marker');
    expect(marker).toMatchObject({
      passed: true,
      lastError: `${join(root, 'run/app/ready')} does not exist`,
    });
    expect(marker.attempts).toBeGreaterThanOrEqual(4);
    expect(existsSync('/run/app/ready')).toBe(false);
  });

  it('asks the injected systemd checker', async () => {
    const asked: string[] = [];
    const answers = [false, false, true];
    const outcome = await runProbes(
      [probe({ name: 'nginx', type: 'systemd', unit: 'nginx.service' })],
      {
        deadlineMs: soon(10_000),
        clock: systemClock,
        unitActive: async (unit) => {
          asked.push(unit);
          return answers[asked.length - 1] ?? true;
        },
      },
    );
    expect(outcome.allPassed).toBe(true);
    expect(asked).toEqual(['nginx.service', 'nginx.service', 'nginx.service']);
    expect(outcome.results[0]).toMatchObject({
      attempts: 3,
      lastError: 'unit nginx.service is not active',
    });
  });

  it('names the probe that did not pass before the deadline, and ready is when the last passed', async () => {
    const healthy = await serveStatuses([200]);
    const failing = await serveStatuses([503]);
    const outcome = await runProbes(
      [
        probe({ name: 'web', type: 'http', url: healthy.url, expect_status: 200 }),
        probe({ name: 'api', type: 'http', url: failing.url, expect_status: 200 }),
      ],
      { deadlineMs: soon(300), clock: systemClock },
    );
    expect(outcome.allPassed).toBe(false);
    expect(outcome.readyAt).toBeNull();
    expect(byName(outcome.results, 'web').passed).toBe(true);
    expect(byName(outcome.results, 'api')).toMatchObject({
      passed: false,
      lastError: 'HTTP 503, expected 200',
    });
    expect(probeFailureDetail(outcome)).toMatch(
      /^probe api did not pass in \d+ attempts? \(last error: HTTP 503, expected 200\)$/,
    );
  });

  it('ends at the deadline even when a check never answers', async () => {
    // A server that accepts and never responds, and a unit checker whose promise never settles.
    const silent = http.createServer(() => undefined);
    await listen(silent, 0);
    closers.push(() => close(silent));
    const outcome = await runProbes(
      [
        probe({
          name: 'silent',
          type: 'http',
          url: `http://127.0.0.1:${portOf(silent)}/`,
          timeout: 60_000,
        }),
        probe({ name: 'stuck', type: 'systemd', unit: 'stuck.service', timeout: 60_000 }),
      ],
      {
        deadlineMs: soon(300),
        clock: systemClock,
        unitActive: () => new Promise<boolean>(() => undefined),
      },
    );
    expect(outcome.allPassed).toBe(false);
    for (const result of outcome.results) {
      expect(result).toMatchObject({
        passed: false,
        attempts: 1,
        lastError: 'the deadline passed before the attempt finished',
      });
    }
  });
});

it('is ready when the last probe first passed', async () => {
  const root = join(dir, 'root-two');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'early'), '');
  const sleep = sleepAfter((waits) => {
    if (waits === 3) writeFileSync(join(root, 'late'), '');
  });
  const outcome = await runProbes(
    [
      probe({ name: 'early', type: 'file', path: '/early' }),
      probe({ name: 'late', type: 'file', path: '/late' }),
    ],
    { deadlineMs: soon(10_000), clock: systemClock, sleep, root },
  );
  const early = byName(outcome.results, 'early');
  const late = byName(outcome.results, 'late');
  expect(outcome.allPassed).toBe(true);
  expect(late.firstPassedAt!).toBeGreaterThanOrEqual(early.firstPassedAt!);
  expect(outcome.readyAt).toBe(late.firstPassedAt);
});

describe('runProbes timing, on a manual clock', () => {
  it('is ready at once with no probes', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    expect(await runProbes([], { deadlineMs: clock.now() + 1000, clock })).toEqual({
      allPassed: true,
      readyAt: 1_700_000_000_000,
      results: [],
    });
  });

  it('starts attempts one interval apart and records when the probe first passed', async () => {
    const start = 1_700_000_000_000;
    const clock = new ManualClock(start);
    const root = join(dir, 'root-manual');
    mkdirSync(root, { recursive: true });
    const sleeps: number[] = [];
    const sleep: Sleep = async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      if (clock.now() - start >= 300) writeFileSync(join(root, 'ready'), '');
    };
    const outcome = await runProbes(
      [probe({ name: 'a', type: 'file', path: '/ready', interval: 100 })],
      {
        deadlineMs: start + 10_000,
        clock,
        sleep,
        root,
      },
    );
    expect(sleeps).toEqual([100, 100, 100]);
    expect(outcome).toEqual({
      allPassed: true,
      readyAt: start + 300,
      results: [
        {
          name: 'a',
          passed: true,
          firstPassedAt: start + 300,
          attempts: 4,
          lastError: `${join(root, 'ready')} does not exist`,
        },
      ],
    });
  });

  it('never waits past the deadline', async () => {
    const start = 1_700_000_000_000;
    const clock = new ManualClock(start);
    const sleeps: number[] = [];
    const outcome = await runProbes(
      [probe({ name: 'never', type: 'file', path: '/never', interval: 400 })],
      {
        deadlineMs: start + 1000,
        clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
        },
        root: dir,
      },
    );
    expect(sleeps).toEqual([400, 400, 200]);
    expect(outcome.results[0]).toMatchObject({ passed: false, attempts: 3 });
  });

  it('bounds the attempts by the deadline even if the clock stands still', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const outcome = await runProbes(
      [probe({ name: 'never', type: 'file', path: '/never', interval: 100 })],
      {
        deadlineMs: clock.now() + 1000,
        clock,
        sleep: async () => undefined,
        root: dir,
      },
    );
    expect(outcome.results[0]).toMatchObject({ passed: false, attempts: 11 });
  });

  it('makes no attempt once the deadline has passed', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const outcome = await runProbes([probe({ name: 'late', type: 'file', path: '/' })], {
      deadlineMs: clock.now() - 1,
      clock,
    });
    expect(outcome.results).toEqual([
      {
        name: 'late',
        passed: false,
        firstPassedAt: null,
        attempts: 0,
        lastError: 'the deadline had passed before the first attempt',
      },
    ]);
  });
});

/** Whether the process has exited (gone, or a zombie nobody reaped), polling up to `ms`. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 50) {
    let state: string | undefined;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
