// The rollout evidence kept from the change feed equals a brute-force count over the stored boots,
// on both engines, after reports arriving late and out of order, repeats, launches decided as
// `no_report` by the sweeper and then corrected by their late report (a retraction), and a
// rollout started while boots keep arriving. Fixed seed: the same interleaving every run.
import { expect, it } from 'vitest';
import { EvidenceBook, type RolloutSides } from '../../../collector/rollouts/evidence-book.js';
import { inScope, type Rollout } from '../../../collector/rollouts/rollout-model.js';
import type { Store } from '../../../collector/store/store.js';
import { seededRandom } from '../../../simulator/random.js';
import {
  bootReport,
  describeStores,
  instanceEvent,
  iso,
  MinuteMs,
  T0,
  type StoreHarness,
} from '../../support/stores.js';

const Deadline = 15 * MinuteMs;

/** What the book should hold: the stored first boots, filtered and sorted from scratch. */
async function bruteForce(h: StoreHarness, r: Rollout): Promise<RolloutSides> {
  const rows = await h.sql(
    `SELECT ami_version, region, asg, outcome, time_to_ready_seconds, outcome_at_ms FROM boots
     WHERE ${h.engine === 'sqlite' ? 'first_boot = 1' : 'first_boot'}`,
  );
  const start = Math.floor(r.startedAtMs / MinuteMs) * MinuteMs;
  const side = (version: string) => {
    const mine = rows.filter(
      (b) =>
        b.ami_version === version &&
        Number(b.outcome_at_ms) >= start &&
        inScope(r.scope, String(b.asg ?? ''), String(b.region)),
    );
    const ok = mine.filter((b) => b.outcome === 'success');
    return {
      successes: ok.length,
      failures: mine.length - ok.length,
      readyMs: Float64Array.from(
        ok.map((b) => Math.round(Number(b.time_to_ready_seconds) * 1000)).sort((a, b) => a - b),
      ),
    };
  };
  return { candidate: side(r.candidate), baseline: r.baseline === null ? null : side(r.baseline) };
}

interface Pending {
  n: number;
  version: string;
  asg: string;
  region: string;
  launchedAtMs: number;
  ttr: number;
  failed: boolean;
}

function report(p: Pending) {
  return bootReport({
    instanceId: `i-${p.n.toString(16).padStart(17, '0')}`,
    bootId: `boot-${p.n}`,
    launchedAt: iso(p.launchedAtMs),
    kernelStartedAt: iso(p.launchedAtMs + 5_000),
    amiVersion: p.version,
    asg: p.asg,
    region: p.region,
    outcome: p.failed ? 'failure' : 'success',
    reason: p.failed ? 'cloud_init_error' : 'none',
    timeToReadySeconds: p.ttr,
  });
}

async function launch(store: Store, p: Pending): Promise<void> {
  await store.recordEvents(
    [
      instanceEvent({
        instanceId: `i-${p.n.toString(16).padStart(17, '0')}`,
        atMs: p.launchedAtMs,
        asg: p.asg,
        region: p.region,
      }),
    ],
    p.launchedAtMs,
  );
}

describeStores('rollout evidence from the change feed', (harness) => {
  it('equals a brute-force count after late, repeated and corrected reports', async () => {
    const h = harness();
    const store = await h.open();
    const other = await h.open({ replicaId: 'r2' }); // a second replica writes too
    const random = seededRandom(12);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const web = await store.rollouts.create({
      candidate: '2.0',
      baseline: '1.9',
      scope: { asgs: ['web'], regions: [] },
      startedAtMs: T0 + 10 * MinuteMs + 30_000,
      policy: {},
      source: 'api',
    });
    const book = new EvidenceBook(store);
    const pending: Pending[] = [];
    const reported: Pending[] = [];
    let batch: Rollout | null = null;
    for (let n = 1; n <= 240; n += 1) {
      const p: Pending = {
        n,
        version: pick(['2.0', '1.9', '1.8']),
        asg: pick(['web', 'web', 'batch']),
        region: pick(['eu-west-1', 'us-east-1']),
        launchedAtMs: T0 + Math.floor(random() * 60) * MinuteMs,
        // Some times repeat exactly: removing one of two equal times must keep the other.
        ttr: random() < 0.2 ? 60 : Math.round(30_000 + random() * 90_000) / 1000,
        failed: random() < 0.1,
      };
      if (random() < 0.3) await launch(store, p);
      const roll = random();
      if (roll < 0.6) {
        await (n % 2 === 0 ? store : other).upsertBoot(report(p), p.launchedAtMs + 300_000);
        reported.push(p);
      } else pending.push(p); // reported late, or never
      if (random() < 0.15 && reported.length > 0) {
        const again = pick(reported); // a repeat: changes nothing
        await store.upsertBoot(report(again), T0 + 90 * MinuteMs);
      }
      if (n === 120) {
        batch = await store.rollouts.create({
          candidate: '1.8',
          baseline: null,
          scope: { asgs: ['batch'], regions: ['eu-west-1'] },
          startedAtMs: T0,
          policy: {},
          source: 'api',
        });
        // The sweeper decides the launches that never reported: no_report failures.
        await store.sweep(T0 + 2 * 3_600_000, Deadline);
      }
      if (n % 17 === 0) {
        const active = await store.rollouts.list('canary');
        await book.refresh(active);
        for (const r of active) expect(book.sides(r.id)).toEqual(await bruteForce(h, r));
      }
    }
    // Late reports: some replace a no_report the sweeper decided (taken back, then counted anew).
    for (const p of pending)
      if (random() < 0.7) await other.upsertBoot(report(p), T0 + 3_600_000 * 3);
    await store.sweep(T0 + 5 * 3_600_000, Deadline);
    await book.refresh([web, batch!]);
    for (const r of [web, batch!]) expect(book.sides(r.id)).toEqual(await bruteForce(h, r));
    const sides = book.sides(web.id)!;
    // The scenario is not empty: both sides have boots, failures and corrections happened.
    expect(sides.candidate.successes).toBeGreaterThan(10);
    expect(sides.candidate.failures).toBeGreaterThan(0);
    expect(sides.baseline!.successes).toBeGreaterThan(10);
    const decided = await h.sql(`SELECT count(*) AS n FROM boots WHERE reason = 'no_report'`);
    expect(Number(decided[0]!.n)).toBeGreaterThan(0);
    // A finished rollout leaves the book.
    await book.refresh([batch!]);
    expect(book.sides(web.id)).toBeUndefined();
  });
});
