// The Alertmanager push: which alerts fire and resolve (AlertTracker), and delivery to a real
// Alertmanager (Debian's prometheus-alertmanager, started here on 127.0.0.1 with a temporary
// config and storage). Under CI=true a missing binary fails the test; locally it is skipped.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertName } from '../../../alerts/rule-names.js';
import { ManualClock } from '../../../shared/clock.js';
import type { PostableAlert } from '../../../collector/slo/alertmanager.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import { AlertTracker, SloAlertName } from '../../../collector/slo/alert-tracker.js';
import { AlertmanagerPusher } from '../../../collector/slo/alertmanager.js';
import { runCollector } from '../../../collector/run-collector.js';
import type { SloReport } from '../../../collector/slo/report.js';
import type { Store } from '../../../collector/store/store.js';
import { agentAuth, otlpJson, testBoot, testConfig } from '../server/harness.js';
import { FakeRollups, row } from './fake-rollups.js';
import { manualEngine, MinuteMs, Start } from './support.js';

const Binary = '/usr/bin/prometheus-alertmanager';
const [bootSuccess] = defaultSlos();

/** An engine over rows where version 2.0 fails 3 of its 4 boots (in asg web-b) and 1.0 is fine. */
async function reports() {
  const fake = new FakeRollups();
  const m = Start + 10 * MinuteMs;
  fake.rows.push(row({ minuteMs: m, count: 1, amiVersion: '2.0', asg: 'web-b' }));
  fake.rows.push(
    row({ minuteMs: m, count: 3, amiVersion: '2.0', asg: 'web-b', outcome: 'failure' }),
  );
  fake.rows.push(row({ minuteMs: m, count: 40, amiVersion: '1.0' }));
  const clock = new ManualClock(m + 30_000);
  const engine = manualEngine(fake as unknown as Store, [bootSuccess!], clock);
  return {
    clock,
    firing: await engine.evaluate(),
    /** Three hours later the failures have left the 5m, 30m and 2h windows. */
    later: async () => {
      clock.advance(3 * 3_600_000);
      return engine.evaluate();
    },
    /** Two hours more: the quiet tiers have been quiet for their short windows (2h at most). */
    quiet: async () => {
      clock.advance(2 * 3_600_000);
      return engine.evaluate();
    },
  };
}

describe('AlertTracker', () => {
  it('starts one alert per firing tier, labelled like the generated rules, and resolves it', async () => {
    expect(SloAlertName).toBe(AlertName.budgetBurn);
    const { firing, later, quiet } = await reports();
    const tracker = new AlertTracker();
    const first = tracker.update(firing);
    expect(first.started.map((a) => a.labels)).toEqual([
      {
        alertname: SloAlertName,
        severity: 'page',
        slo: 'boot-success',
        window: '1h/5m',
        asg: 'web-b',
        ami_version: '2.0',
      },
      {
        alertname: SloAlertName,
        severity: 'page',
        slo: 'boot-success',
        window: '6h/30m',
        asg: 'web-b',
        ami_version: '2.0',
      },
      {
        alertname: SloAlertName,
        severity: 'ticket',
        slo: 'boot-success',
        window: '1d/2h',
        asg: 'web-b',
        ami_version: '2.0',
      },
      {
        alertname: SloAlertName,
        severity: 'ticket',
        slo: 'boot-success',
        window: '3d/6h',
        asg: 'web-b',
        ami_version: '2.0',
      },
    ]);
    expect(first.started[0]!.annotations.summary).toBe(
      'boot-success (ami_version=2.0) burns its error budget at 750.0x over 1h',
    );
    expect(first.started[0]!.annotations.description).toContain('3 of 4 events bad in the last 1h');
    expect(tracker.update(firing).started).toEqual([]);
    // The short windows (5m, 30m, 2h) are empty: those tiers stop firing, and their alerts keep
    // firing one short window more (keep_firing_for), then resolve; 3d/6h still fires.
    const stopped = tracker.update(await later());
    expect(stopped.resolved).toEqual([]);
    expect(stopped.firing.map((a) => a.labels.window).sort()).toEqual([
      '1d/2h',
      '1h/5m',
      '3d/6h',
      '6h/30m',
    ]);
    const after = tracker.update(await quiet());
    expect(after.resolved.map((a) => a.labels.window)).toEqual(['1h/5m', '6h/30m', '1d/2h']);
    expect(after.resolved[0]!.endsAtMs).toBe(Start + 10 * MinuteMs + 30_000 + 5 * 3_600_000);
    expect(after.firing.map((a) => a.labels.window)).toEqual(['3d/6h']);
  });
});

/** A loopback Alertmanager API that keeps every POST /api/v2/alerts body. */
async function recorder() {
  const posts: PostableAlert[][] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push(JSON.parse(body) as PostableAlert[]);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('what the push sends', () => {
  it('never replays history: only what fires once evaluations are current', async () => {
    const { firing, later, quiet } = await reports();
    const am = await recorder();
    try {
      // A collector catching up on simulated time, as the demo's: its evaluations run days
      // behind Alertmanager's clock.
      const amClock = new ManualClock(Start + 10 * 86_400_000);
      const pusher = new AlertmanagerPusher({ url: am.url, clock: amClock });
      const first = firing;
      await pusher.onReport(first);
      await pusher.onReport(await later());
      const caughtUp = await quiet();
      await pusher.onReport(caughtUp);
      // Four alerts fired, three resolved, all in the past: nothing was sent.
      expect(am.posts).toEqual([]);

      // Live: the evaluations are current. What fires now is sent at once, with its start.
      amClock.set(caughtUp.evaluatedAtMs + 1_000);
      await pusher.onReport(caughtUp);
      expect(am.posts).toHaveLength(1);
      const [ticket] = am.posts[0]!;
      expect(am.posts[0]!.map((a) => a.labels.window)).toEqual(['3d/6h']);
      expect(Date.parse(ticket!.startsAt)).toBe(first.evaluatedAtMs);
      expect(Date.parse(ticket!.endsAt)).toBeGreaterThan(amClock.now());
    } finally {
      await am.close();
    }
  });

  it('sends each resolution once, beside what still fires', async () => {
    const { clock, firing, later, quiet } = await reports();
    const am = await recorder();
    try {
      const pusher = new AlertmanagerPusher({ url: am.url, clock });
      await pusher.onReport(firing);
      expect(am.posts.map((p) => p.length)).toEqual([4]);
      await pusher.onReport(await later());
      await pusher.onReport(await quiet());
      const ended = (p: PostableAlert[] | undefined) =>
        (p ?? []).filter((a) => Date.parse(a.endsAt) <= clock.now()).map((a) => a.labels.window);
      expect(ended(am.posts.at(-1))).toEqual(['1h/5m', '6h/30m', '1d/2h']);
      await pusher.onReport(await quiet());
      expect(ended(am.posts.at(-1))).toEqual([]);
      expect(am.posts.at(-1)!.map((a) => a.labels.window)).toEqual(['3d/6h']);
    } finally {
      await am.close();
    }
  });
});

const haveBinary = existsSync(Binary);
if (!haveBinary && !process.env.CI) {
  console.warn(
    `${Binary} is missing: skipping the Alertmanager test (apt-get install prometheus-alertmanager)`,
  );
}

describe.skipIf(!haveBinary && !process.env.CI)('push to a real Alertmanager', () => {
  let child: ChildProcess | undefined;
  let dir = '';
  let url = '';

  beforeAll(async () => {
    if (!haveBinary) throw new Error(`${Binary} is missing and CI is set`);
    dir = mkdtempSync(join(tmpdir(), 'bw-am-'));
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(config, 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      Binary,
      [
        `--config.file=${config}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Alertmanager did not become ready: ${stderr}`);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function active(): Promise<
    { labels: Record<string, string>; endsAt: string; status: { state: string } }[]
  > {
    const res = await fetch(`${url}/api/v2/alerts?active=true&silenced=false&inhibited=false`);
    expect(res.status).toBe(200);
    return (await res.json()) as never;
  }

  it('delivers firing alerts, and their end when they resolve', async () => {
    const { firing, later, quiet } = await reports();
    // Alertmanager judges alerts by the real time. The reports span two hours and a second (the
    // alerts that stop keep firing one short window, 2h at most): they are stamped to end a
    // minute ago, and the pusher's clock follows them. Firing alerts are valid for 4 resend
    // intervals (4h here): still active when Alertmanager reads them.
    const clock = new ManualClock(0);
    const quietAtMs = Date.now() - MinuteMs;
    const at = (r: SloReport, ms: number): SloReport => {
      clock.set(ms);
      return { ...r, evaluatedAtMs: ms };
    };
    const pusher = new AlertmanagerPusher({
      url,
      clock,
      resendIntervalMs: 3_600_000,
      generatorUrl: 'http://collector/api/v1/slos',
    });

    await pusher.onReport(at(firing, quietAtMs - 2 * 3_600_000 - 1_000));
    const alerts = await active();
    expect(alerts.map((a) => a.labels.window).sort()).toEqual([
      '1d/2h',
      '1h/5m',
      '3d/6h',
      '6h/30m',
    ]);
    const page = alerts.find((a) => a.labels.window === '1h/5m')!;
    expect(page.labels).toMatchObject({
      alertname: SloAlertName,
      severity: 'page',
      slo: 'boot-success',
      ami_version: '2.0',
      asg: 'web-b',
    });
    expect(page.status.state).toBe('active');

    // The failures leave the short windows: three alerts end (one short window later), the 3d
    // ticket keeps firing.
    await pusher.onReport(at(await later(), quietAtMs - 2 * 3_600_000));
    await pusher.onReport(at(await quiet(), quietAtMs));
    const remaining = await active();
    expect(remaining.map((a) => a.labels.window)).toEqual(['3d/6h']);
  });

  it('is wired into a running collector by its Alertmanager URL', async () => {
    const collector = await runCollector(
      testConfig({
        listen: '127.0.0.1:0',
        store: join(dir, 'collector.db'),
        replica_id: 'am-test',
      }),
      { handleSignals: false, alertmanagerUrl: url, scheduler: { every: () => () => undefined } },
    );
    try {
      // Two boots of a new version a minute ago, both failed. Time to ready (95%) pages on 1h/5m
      // (r = 0.72, n_min = 2) but not on 6h/30m (r = 0.3, n_min = 4, Wilson bound of 2/2 0.18).
      const launchedAt = new Date(Date.now() - 11 * MinuteMs).toISOString();
      const boots = [0, 1].map((i) =>
        testBoot({
          instanceId: `i-00000000000000a0${i}`,
          bootId: `am-${i}`,
          amiVersion: '9.9.9',
          launchedAt,
          outcome: 'failure',
          reason: 'probe_timeout',
          timeToReadySeconds: 600,
        }),
      );
      const res = await fetch(`${collector.url}/v1/metrics`, {
        method: 'POST',
        headers: { ...agentAuth, 'content-type': 'application/json' },
        body: otlpJson(boots),
      });
      expect(res.status).toBe(200);
      await collector.app.bootwatch.slo.evaluate();
      const mine = (await active()).filter((a) => a.labels.ami_version === '9.9.9');
      expect(
        mine.map((a) => `${a.labels.slo} ${a.labels.severity} ${a.labels.window}`).sort(),
      ).toEqual([
        'boot-success page 1h/5m',
        'boot-success page 6h/30m',
        'boot-success ticket 1d/2h',
        'boot-success ticket 3d/6h',
        'time-to-ready page 1h/5m',
        'time-to-ready ticket 1d/2h',
        'time-to-ready ticket 3d/6h',
      ]);
    } finally {
      await collector.close();
    }
  });

  it('answers a rejected push by retrying at the next report, without throwing', async () => {
    const { clock, firing } = await reports();
    const warnings: string[] = [];
    const pusher = new AlertmanagerPusher({
      url: `${url}/nowhere`,
      clock,
      log: { warn: (_o, msg) => warnings.push(msg), info: () => undefined },
    });
    await pusher.onReport(firing);
    await pusher.onReport(firing);
    expect(warnings).toEqual(['Alertmanager push failed; retrying at the next evaluation']);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
