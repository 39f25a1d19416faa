// `bootwatch demo`, non-interactively: a tiny rollout, the results and where to look next, then
// either it exits (--exit-after-rollout) or it serves until SIGINT and shuts down cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoCredentials } from '../../cli/demo-command.js';

const Tiny = `
name: tiny
description: two versions, a few launches
seed: 9
duration: 2h
images:
  - version: '3.1'
    boot_time: { median: 50s, p95: 80s }
  - version: '3.2'
    boot_time: { median: 70s, p95: 120s }
    failures: { cloud_init_error: 0.3, no_report: 0.2 }
traffic:
  - per_hour: 4
    to: 1h
    versions: { '3.1': 1 }
  - per_hour: 6
    from: 1h
    versions: { '3.2': 1 }
`;

let dir: string;
let child: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-demo-'));
  writeFileSync(join(dir, 'tiny.yaml'), Tiny);
});

afterEach(() => {
  // Only the child this test started, by its pid, if it is still there after a failure.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<number | null>;
}

function demo(...args: string[]): Run {
  const c = spawn(
    process.execPath,
    ['--import', 'tsx', 'cli/run.ts', 'demo', '--scenario', join(dir, 'tiny.yaml'), ...args],
    {
      env: {
        ...process.env,
        BOOTWATCH_LISTEN: '127.0.0.1:0',
        BOOTWATCH_STORE: join(dir, 'data', 'bootwatch.db'),
        BOOTWATCH_TOKEN: '',
        BOOTWATCH_ADMIN_TOKEN: '',
        BOOTWATCH_CONFIG: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = c;
  let out = '';
  c.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  c.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
  return { child: c, stdout: () => out, exited };
}

/** Resolves once `text` was printed; rejects after `ms`. */
async function printed(run: Run, text: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!run.stdout().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`demo exited early:\n${run.stdout()}`);
    if (Date.now() > until)
      throw new Error(`'${text}' not printed within ${ms} ms:\n${run.stdout()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('bootwatch demo', () => {
  it('runs the rollout, prints the results and where to look next, and exits with --exit-after-rollout', async () => {
    const run = demo('--exit-after-rollout');
    expect(await run.exited).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(
      /bootwatch demo: collector on http:\/\/127\.0\.0\.1:\d+, store .*bootwatch\.db \(new for this demo, removed when it stops\)/,
    );
    expect(out).toContain('rollout "tiny": two versions, a few launches');
    expect(out).toMatch(/launched (\d+)\/\1/);
    // the results: the SLO table, then per-version statistics
    expect(out).toMatch(/3\.2 .*\n.*3\.1 /);
    // Both tables count the same committed boots: the SLO's 30-day events per version are the
    // launches of the per-version table (they disagreed, 68 against 72, when the SLO engine read
    // the store on a sweep behind the writes).
    const sloEvents = new Map(
      [
        ...out
          .split('boot-success:')[1]!
          .split('time-to-ready:')[0]!
          .matchAll(/ami_version=(\S+)\s.*\/(\d+)\s*$/gm),
      ].map((m) => [m[1], Number(m[2])]),
    );
    const launches = new Map(
      [...out.split('first boots by AMI version')[1]!.matchAll(/^(3\.\d)\s+(\d+)\s/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    expect(launches.size).toBe(2);
    expect(sloEvents).toEqual(launches);
    for (const where of ['/api/v1/slos', '/api/v1/images', '/metrics', 'bootwatch slo status']) {
      expect(out).toContain(where);
    }
    expect(out).toContain('collector stopped');
    expect(out).not.toContain('token:');
  }, 90_000);

  it('uses a store of its own, new each run: a second run shows its own launches, not both', async () => {
    const runs: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const run = demo('--exit-after-rollout');
      expect(await run.exited).toBe(0);
      runs.push(run.stdout());
    }
    const launches = (out: string) => {
      const planned = Number(/launched (\d+)\/\1/.exec(out)![1]);
      const table = out.split('first boots by AMI version')[1]!;
      const stored = ['3.1', '3.2'].map((v) =>
        Number(new RegExp(`\\n${v}\\s+(\\d+)`).exec(table)![1]),
      );
      return { planned, stored: stored[0]! + stored[1]! };
    };
    const [first, second] = runs.map(launches);
    expect(first!.stored).toBe(first!.planned);
    expect(second).toEqual(first);
    // Not the store BOOTWATCH_STORE names (a real collector's), and nothing left behind.
    expect(existsSync(join(dir, 'data', 'bootwatch.db'))).toBe(false);
    for (const out of runs) {
      const store = /store (\S+bootwatch\.db)/.exec(out)![1]!;
      expect(store).not.toBe(join(dir, 'data', 'bootwatch.db'));
      expect(existsSync(store)).toBe(false);
    }
  }, 120_000);

  it('keeps serving on real time until SIGINT, then shuts down cleanly', async () => {
    const run = demo();
    await printed(run, 'Serving until Ctrl-C.', 80_000);
    const url = /collector on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout())![1]!;
    const images = (await (await fetch(`${url}/api/v1/images?since=1d`)).json()) as {
      until: string;
      versions: { amiVersion: string; launches: number }[];
    };
    expect(images.versions.map((v) => v.amiVersion)).toEqual(['3.2', '3.1']);
    expect(images.versions.every((v) => v.launches > 0)).toBe(true);
    // live: the collector's clock is the real one again (its window ends in the current minute)
    expect(Math.abs(Date.parse(images.until) - Date.now())).toBeLessThan(120_000);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('bootwatch_boots_total');

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain('collector stopped');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 90_000);
});

describe('demoCredentials', () => {
  it('is anonymous on loopback only', () => {
    expect(demoCredentials({ BOOTWATCH_LISTEN: '127.0.0.1:4318' })).toEqual({
      allowAnonymous: true,
      token: null,
      adminToken: null,
      generated: false,
    });
    expect(demoCredentials({}).allowAnonymous).toBe(true);
    const open = demoCredentials({ BOOTWATCH_LISTEN: '0.0.0.0:4318' });
    expect(open).toMatchObject({ allowAnonymous: false, generated: true });
    expect(open.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(open.adminToken).not.toBe(open.token);
  });

  it('uses the tokens it is given', () => {
    expect(
      demoCredentials({
        BOOTWATCH_LISTEN: '10.0.0.5:4318',
        BOOTWATCH_TOKEN: 'a',
        BOOTWATCH_ADMIN_TOKEN: 'b',
      }),
    ).toEqual({
      allowAnonymous: false,
      token: 'a',
      adminToken: 'b',
      generated: false,
    });
  });
});
