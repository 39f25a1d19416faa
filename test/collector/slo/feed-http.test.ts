// Issue 11's scenario through the real HTTP collector (listening on loopback, SQLite file store,
// default SLOs): reports that arrive all at once after an outage, with outcome times spread over
// the last 55 minutes, a day ago and 29 days ago, and a late report correcting a no_report boot
// 3 hours old. At the first evaluation after each request commits, every window of both SLOs,
// for every version, equals a brute-force count over the stored boots.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCollector, type RunningCollector } from '../../../collector/run-collector.js';
import type { SloReport } from '../../../collector/slo/report.js';
import { ManualClock } from '../../../shared/clock.js';
import { TimeToReadyBuckets } from '../../../shared/conventions.js';
import { seededRandom } from '../../../simulator/random.js';
import { instanceEvent } from '../../support/stores.js';
import {
  adminAuth,
  agentAuth,
  ManualScheduler,
  otlpJson,
  testBoot,
  testConfig,
  type TestBoot,
} from '../server/harness.js';

const MinuteMs = 60_000;
const HourMs = 3_600_000;
const DayMs = 86_400_000;
/** Evaluations run 20 s into a minute, as they would on a schedule. */
const Now = Date.parse('2026-06-01T12:00:20.000Z');

let dir: string;
let running: RunningCollector | null = null;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-feed-http-'));
});
afterEach(async () => {
  await running?.close();
  running = null;
  rmSync(dir, { recursive: true, force: true });
});

let serial = 0;

/** The AMI id agents of a version report (the collector learns the version from them). */
const amiIdOf = (version: string) => `ami-${version.replace(/\W/g, '').padStart(17, '0')}`;

/** `n` boots of `version` whose outcomes fall in [nowMs - spanMs, nowMs), every tenth failing. */
function boots(
  version: string,
  n: number,
  nowMs: number,
  spanMs: number,
  failEvery = 0,
): TestBoot[] {
  const random = seededRandom(serial + 7);
  return Array.from({ length: n }, (_, i) => {
    serial += 1;
    const failed = failEvery > 0 && i % failEvery === 0;
    const ttr = failed ? 600 : Math.round(30 + random() * 150);
    const outcomeAt = nowMs - 1 - Math.floor(random() * spanMs);
    return testBoot({
      instanceId: `i-${serial.toString(16).padStart(17, '0')}`,
      bootId: `boot-${serial}`,
      amiId: amiIdOf(version),
      amiVersion: version,
      launchedAt: new Date(outcomeAt - ttr * 1000).toISOString(),
      outcome: failed ? 'failure' : 'success',
      reason: failed ? 'probe_timeout' : 'none',
      timeToReadySeconds: ttr,
    });
  });
}

async function post(url: string, path: string, body: string, auth = agentAuth): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function slos(url: string): Promise<SloReport> {
  const res = await fetch(`${url}/api/v1/slos`, { headers: adminAuth });
  expect(res.status).toBe(200);
  return (await res.json()) as SloReport;
}

/** Events and errors of every SLO, version and window with events, as the API reports them. */
function reported(report: SloReport): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const slo of report.slos) {
    for (const g of slo.groups) {
      for (const w of g.windows) {
        if (w.events > 0)
          out[`${slo.name} ${g.labels.ami_version} ${w.window}`] = [w.events, w.errors];
      }
    }
  }
  return out;
}

/** The same from the boots table, one query per window: the brute-force count. */
function bruteForce(
  path: string,
  report: SloReport,
  nowMs: number,
): Record<string, [number, number]> {
  const db = new Database(path, { readonly: true });
  try {
    const nowMinute = Math.floor(nowMs / MinuteMs);
    const out: Record<string, [number, number]> = {};
    for (const slo of report.slos) {
      if (slo.sli === 'rollout_success') continue; // counts rollouts, not boots
      const threshold = slo.thresholdSeconds;
      // Ready within the threshold: in a bucket up to the threshold's bound (bounds inclusive).
      const good =
        threshold === null
          ? `outcome = 'success'`
          : `outcome = 'success' AND time_to_ready_seconds <= ${TimeToReadyBuckets.find((b) => b >= threshold)}`;
      for (const w of slo.groups[0]?.windows ?? []) {
        const from = (nowMinute - w.windowMs / MinuteMs + 1) * MinuteMs;
        const rows = db
          .prepare(
            `SELECT ami_version AS v, count(*) AS events, sum(NOT (${good})) AS errors FROM boots
             WHERE first_boot = 1 AND outcome_at_ms >= ? AND outcome_at_ms < ?
             GROUP BY ami_version`,
          )
          .all(from, (nowMinute + 1) * MinuteMs) as { v: string; events: number; errors: number }[];
        for (const r of rows) out[`${slo.name} ${r.v} ${w.window}`] = [r.events, r.errors];
      }
    }
    return out;
  } finally {
    db.close();
  }
}

describe('SLO counts through the HTTP collector', () => {
  it('count every committed boot at the first evaluation after it, late ones of any age included', async () => {
    const path = join(dir, 'bootwatch.db');
    const clock = new ManualClock(Now);
    running = await runCollector(testConfig({ listen: '127.0.0.1:0', store: path }), {
      clock,
      scheduler: new ManualScheduler(),
      handleSignals: false,
      alertmanagerUrl: null,
    });
    const { url } = running;
    // The engine has loaded and evaluated before the reports come in: they reach it as changes.
    expect((await slos(url)).slos[0]!.groups).toEqual([]);
    const check = async () => {
      const report = await slos(url);
      const counts = reported(report);
      expect(counts).toEqual(bruteForce(path, report, clock.now()));
      return counts;
    };

    // The collector comes back after an outage: one request, 200 boots of the last 55 minutes.
    await post(
      url,
      '/v1/metrics',
      otlpJson([
        ...boots('hv-4.bad', 100, Now, 55 * MinuteMs, 10),
        ...boots('hv-4.good', 100, Now, 55 * MinuteMs),
      ]),
    );
    const first = await check();
    expect(first['boot-success hv-4.bad 1h']).toEqual([100, 10]);
    expect(first['boot-success hv-4.good 1h']).toEqual([100, 0]);

    // A day old and 29 days old.
    await post(url, '/v1/metrics', otlpJson(boots('hv-4.good', 40, Now - DayMs, HourMs, 8)));
    await post(url, '/v1/metrics', otlpJson(boots('hv-3', 30, Now - 29 * DayMs, HourMs, 5)));
    const old = await check();
    expect(old['boot-success hv-3 30d']).toEqual([30, 6]);
    expect(old['boot-success hv-4.good 3d']).toEqual([140, 5]);

    // A launch 3 h 20 min ago that never reported: no_report, then its late report corrects it.
    const late = testBoot({
      instanceId: 'i-0000000000000late',
      bootId: 'late-boot',
      amiId: amiIdOf('hv-4.bad'),
      amiVersion: 'hv-4.bad',
      launchedAt: new Date(Now - 3 * HourMs - 20 * MinuteMs).toISOString(),
      timeToReadySeconds: 75,
    });
    await running.store.recordEvents(
      [
        instanceEvent({
          instanceId: late.instanceId,
          atMs: Date.parse(late.launchedAt),
          amiId: late.amiId,
          region: late.region,
          asg: 'web-asg',
        }),
      ],
      Now,
    );
    await running.store.sweep(Now, 15 * MinuteMs);
    const decided = await check();
    expect(decided['boot-success hv-4.bad 6h']).toEqual([101, 11]);
    clock.advance(40_000); // the next minute: the windows move as well
    await post(url, '/v1/metrics', otlpJson([late]));
    const corrected = await check();
    expect(corrected['boot-success hv-4.bad 6h']).toEqual([101, 10]);
  });
});
