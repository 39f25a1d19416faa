// The engine against the store, on both engines: random sequences of first boots (of any age,
// late ones included), corrections of stored boots, launches decided no_report by the sweeper and
// late reports replacing them, clock moves (seconds to days, sometimes backwards). After every
// step, every window of every group equals a naive GROUP BY over the store's rollups.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import type { Slo } from '../../../shared/slo/model.js';
import { TimeToReadyBuckets } from '../../../shared/conventions.js';
import type { SloReport } from '../../../collector/slo/report.js';
import type { Store } from '../../../collector/store/store.js';
import { bootReport, describeStores, instanceEvent } from '../../support/stores.js';
import { DayMs, HourMs, manualEngine, MinuteMs, Start } from './support.js';

const [bootSuccess, timeToReady] = defaultSlos() as [Slo, Slo];
const Slos = [bootSuccess, timeToReady];
const T0 = Start + 40 * DayMs;

const step = fc.oneof(
  fc.record({
    kind: fc.constant('boot' as const),
    version: fc.constantFrom('1.0', '1.1'),
    minutesAgo: fc.oneof(fc.integer({ min: -1, max: 90 }), fc.integer({ min: 0, max: 31 * 1440 })),
    failed: fc.boolean(),
    ttr: fc.constantFrom(30, 110, 121, 400),
  }),
  fc.record({
    kind: fc.constant('correct' as const),
    pick: fc.nat(),
    ttr: fc.constantFrom(60, 200),
  }),
  fc.record({
    kind: fc.constant('launch' as const),
    minutesAgo: fc.integer({ min: 16, max: 600 }),
  }),
  fc.record({ kind: fc.constant('late' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('clock' as const),
    ms: fc.oneof(
      fc.constantFrom(30_000, MinuteMs, HourMs, 7 * HourMs, DayMs, -2 * MinuteMs),
      fc.integer({ min: 1, max: 300 }).map((m) => m * MinuteMs + 7_000),
    ),
  }),
);

/** Events and errors of every window and group, from the report. */
function fromReport(report: SloReport): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const slo of report.slos) {
    for (const g of slo.groups) {
      for (const w of g.windows) {
        if (w.events > 0)
          out.set(`${slo.name}|${g.labels.ami_version}|${w.window}`, [w.events, w.errors]);
      }
    }
  }
  return out;
}

/** The same, counted naively from every stored rollup row. */
async function naive(
  store: Store,
  nowMs: number,
  report: SloReport,
): Promise<Map<string, [number, number]>> {
  const rows = await store.rollups({ fromMs: 0, toMs: 8.64e15 });
  const nowMinute = Math.floor(nowMs / MinuteMs);
  const upTo = (TimeToReadyBuckets as readonly number[]).indexOf(timeToReady.thresholdSeconds!);
  const out = new Map<string, [number, number]>();
  for (const slo of report.slos) {
    const windows = report.slos.find((s) => s.name === slo.name)!.groups[0]?.windows ?? [];
    for (const w of windows) {
      const minutes = w.windowMs / MinuteMs;
      for (const r of rows) {
        const m = Math.floor(r.minuteMs / MinuteMs);
        if (m > nowMinute || m <= nowMinute - minutes) continue;
        let good = r.outcome === 'success' ? r.count : 0;
        if (slo.name === timeToReady.name && r.outcome === 'success') {
          good = r.ttrBuckets.slice(0, upTo + 1).reduce((a, b) => a + b, 0);
        }
        const key = `${slo.name}|${r.amiVersion}|${w.window}`;
        const [e, x] = out.get(key) ?? [0, 0];
        out.set(key, [e + r.count, x + r.count - good]);
      }
    }
  }
  for (const [k, [e]] of out) if (e === 0) out.delete(k);
  return out;
}

describeStores('SLO engine over the change feed', (harness) => {
  it('equals a naive count of the rollups after every write, correction, sweep and clock move', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const h = harness();
        const store = await h.open();
        // Both engines keep their rows between runs: each run gets ids of its own.
        const run = Math.random().toString(36).slice(2, 8);
        const clock = new ManualClock(T0 + 20_000);
        const engine = manualEngine(store, Slos, clock);
        await engine.evaluate();
        const boots: string[] = [];
        const launches: string[] = [];
        let n = 0;
        for (const s of steps) {
          const now = clock.now();
          n += 1;
          if (s.kind === 'boot' || s.kind === 'late') {
            const late =
              s.kind === 'late'
                ? launches.splice(s.pick % Math.max(1, launches.length), 1)[0]
                : undefined;
            if (s.kind === 'late' && late === undefined) continue;
            const ttr = s.kind === 'boot' ? s.ttr : 45;
            const outcomeAt = s.kind === 'boot' ? now - s.minutesAgo * MinuteMs : now - HourMs;
            const failed = s.kind === 'boot' && s.failed;
            const instanceId = late ?? `i-${run}${String(n).padStart(11, '0')}`;
            await store.upsertBoot(
              bootReport({
                instanceId,
                bootId: `${run}-${n}`,
                launchedAt: new Date(outcomeAt - ttr * 1000).toISOString(),
                amiVersion: s.kind === 'boot' ? s.version : '1.0',
                outcome: failed ? 'failure' : 'success',
                reason: failed ? 'probe_timeout' : 'none',
                timeToReadySeconds: ttr,
              }),
              now,
            );
            boots.push(`${instanceId}|${run}-${n}`);
          } else if (s.kind === 'correct') {
            const pick = boots[s.pick % Math.max(1, boots.length)];
            if (!pick) continue;
            const [instanceId] = pick.split('|');
            const [stored] = (await store.getBoots(instanceId!)).filter(
              (b) => b.source === 'agent',
            );
            if (!stored) continue;
            const { source: _s, receivedAtMs: _r, outcomeAtMs: _o, ...report } = stored;
            await store.upsertBoot({ ...report, timeToReadySeconds: s.ttr }, now);
          } else if (s.kind === 'launch') {
            const instanceId = `i-${run}L${String(n).padStart(10, '0')}`;
            await store.recordEvents(
              [instanceEvent({ instanceId, atMs: now - s.minutesAgo * MinuteMs })],
              now,
            );
            await store.sweep(now, 15 * MinuteMs);
            launches.push(instanceId);
          } else {
            clock.advance(s.ms);
          }
          const report = await engine.evaluate();
          expect(fromReport(report)).toEqual(await naive(store, clock.now(), report));
        }
      }),
      { numRuns: 12 },
    );
  });
});
