// Rollouts end to end over real HTTP (a collector listening on loopback), on both engines: boots
// reported through OTLP, some late and out of order, launches the sweeper decides as `no_report`
// and whose late report then corrects them; the pipeline polls the verdict every simulated
// minute. A good candidate ends promoted, a bad one rolled back, and the verdict's counts equal a
// brute-force count over the stored boots. Fixed seed, simulated clock: no timing.
import type { FastifyInstance } from 'fastify';
import { beforeEach, expect, it } from 'vitest';
import type { VerdictAnswer } from '../../../collector/rollouts/rollout-judge.js';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import { seededRandom } from '../../../simulator/random.js';
import {
  describeStores,
  instanceEvent,
  MinuteMs,
  type StoreHarness,
} from '../../support/stores.js';
import {
  AdminToken,
  AgentToken,
  otlpJson,
  collectorPerTest,
  testBoot,
  type TestBoot,
} from '../server/harness.js';

const Now = Date.parse('2026-12-03T10:00:00Z');
const Versions = { good: '2026.12.2', bad: '2026.12.3', base: '2026.12.1' };

/** First boots of a version in an asg decided since the start minute, from the boots table. */
async function stored(h: StoreHarness, version: string, asg: string) {
  const rows = await h.sql(
    `SELECT outcome FROM boots WHERE ami_version = $1 AND asg = $2 AND outcome_at_ms >= $3`.replace(
      /\$\d/g,
      h.engine === 'sqlite' ? '?' : '$&',
    ),
    [version, asg, Now],
  );
  const failures = rows.filter((r) => r.outcome === 'failure').length;
  return { boots: rows.length, failures };
}

describeStores('rollouts over HTTP', (harness) => {
  let store: Store;
  let app: FastifyInstance;
  let base: string;
  const clock = new ManualClock(Now);

  const call = async (method: string, path: string, body?: unknown, token = AdminToken) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };

  beforeEach(() => clock.set(Now - 3_600_000));
  collectorPerTest(harness, clock, (s, a) => {
    store = s;
    app = a;
  });
  beforeEach(async () => {
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    let n = 1;
    for (const version of Object.values(Versions)) {
      const amiId = `ami-0a1b2c3d4e5f6000${n++}`;
      expect((await call('POST', '/api/v1/images', { amiId, version })).status).toBe(201);
    }
  });

  it('promotes a good candidate and rolls back a bad one; counts equal the stored boots', async () => {
    clock.set(Now);
    const policy = { minBootsPerSide: 20, minCanaryDurationMs: 20 * MinuteMs };
    for (const [candidate, asg] of [
      [Versions.good, 'web'],
      [Versions.bad, 'api'],
    ]) {
      const r = await call('POST', '/api/v1/rollouts', {
        candidate,
        baseline: Versions.base,
        scope: { asgs: [asg] },
        policy,
      });
      expect(r.status).toBe(201);
    }
    const random = seededRandom(2026);
    const late: TestBoot[] = [];
    let n = 0;
    const boot = (version: string, asg: string, minute: number, failed: boolean): TestBoot => {
      n += 1;
      return testBoot({
        instanceId: `i-${n.toString(16).padStart(17, '0')}`,
        bootId: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
        amiVersion: version,
        amiId: 'ami-0a1b2c3d4e5f60001',
        asg,
        launchedAt: new Date(Now + minute * MinuteMs + 1000).toISOString(),
        outcome: failed ? 'failure' : 'success',
        reason: failed ? 'cloud_init_error' : 'none',
        timeToReadySeconds: Math.round(40_000 + random() * 30_000) / 1000,
      });
    };
    const post = async (boots: TestBoot[]) => {
      const r = await fetch(`${base}/v1/metrics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${AgentToken}`, 'content-type': 'application/json' },
        body: otlpJson(boots),
      });
      expect(r.status).toBe(200);
    };
    const verdicts: Record<string, string[]> = { 1: [], 2: [] };
    for (let minute = 0; minute < 60; minute += 1) {
      clock.set(Now + minute * MinuteMs + 30_000);
      const now: TestBoot[] = [];
      for (const [version, asg, failRatio] of [
        [Versions.good, 'web', 0],
        [Versions.base, 'web', 0],
        [Versions.bad, 'api', 0.3],
        [Versions.base, 'api', 0],
      ] as const) {
        const b = boot(version, asg, minute - 2, random() < failRatio);
        // A quarter of the reports arrive late, some after the sweeper gave up on them.
        (random() < 0.25 ? late : now).push(b);
      }
      await post(now);
      if (minute % 10 === 9) {
        // Launch events for the late ones, then the sweeper decides some as no_report...
        await store.recordEvents(
          late.map((b) =>
            instanceEvent({
              eventId: `ev-${b.instanceId}`,
              instanceId: b.instanceId,
              atMs: Date.parse(b.launchedAt),
              region: b.region,
              amiId: b.amiId,
              asg: b.asg,
            }),
          ),
          clock.now(),
        );
        await store.sweep(clock.now(), 5 * MinuteMs);
        // ...and their reports arrive, out of order: each corrects its no_report.
        await post(late.splice(0).reverse());
      }
      for (const id of [1, 2]) {
        const r = await call('GET', `/api/v1/rollouts/${id}/verdict`);
        if (r.status === 200) verdicts[id]!.push(String(r.json.verdict));
      }
    }
    // The good one held for want of evidence, then promoted; the bad one rolled back, for good.
    expect(verdicts[1]![0]).toBe('hold');
    expect(verdicts[1]!.at(-1)).toBe('promote');
    expect(verdicts[1]).not.toContain('rollback');
    const firstRollback = verdicts[2]!.indexOf('rollback');
    expect(firstRollback).toBeGreaterThan(-1);
    expect(verdicts[2]!.slice(firstRollback).every((v) => v === 'rollback')).toBe(true);

    for (const [id, candidate, asg] of [
      [1, Versions.good, 'web'],
      [2, Versions.bad, 'api'],
    ] as const) {
      const v = (await call('GET', `/api/v1/rollouts/${id}/verdict`))
        .json as unknown as VerdictAnswer;
      const [c, b] = [
        await stored(harness(), candidate, asg),
        await stored(harness(), Versions.base, asg),
      ];
      expect(v.evidence?.candidate).toMatchObject({ boots: c.boots, failures: c.failures });
      expect(v.evidence?.baseline).toMatchObject({ boots: b.boots, failures: b.failures });
      expect(c.boots).toBeGreaterThan(40);
    }
    const bad = (await call('GET', '/api/v1/rollouts/2/verdict')).json as unknown as VerdictAnswer;
    // 30% failures against 0.1% allowed: the SLO test and the page alert say so.
    expect(bad.checks.filter((ch) => ch.decision === 'rollback').map((ch) => ch.name)).toEqual([
      'boot_success_vs_slo',
      'page_alert',
    ]);
    // The pipeline obeys: the rollouts end as it says.
    expect((await call('POST', '/api/v1/rollouts/1/promote', {})).status).toBe(200);
    expect((await call('POST', '/api/v1/rollouts/2/rollback', { note: 'verdict' })).status).toBe(
      200,
    );
    expect(await store.rollouts.countFinished(0)).toEqual([
      { outcome: 'promoted', source: 'api', count: 1 },
      { outcome: 'rolled_back', source: 'api', count: 1 },
    ]);
  });
});
