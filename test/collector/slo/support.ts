// Test support for the SLO engine: a real SQLite store (in memory), first boots built with the
// outcome time a test wants (launchedAt = outcome - time to ready), written through the store's
// ingest path (upsertBoot, which maintains the rollups), and an engine on a ManualClock.
import type { BootReport } from '../../../shared/boot-report.js';
import { ManualClock } from '../../../shared/clock.js';
import type { Slo } from '../../../shared/slo/model.js';
import { SloEngine, type SloEngineOptions } from '../../../collector/slo/slo-engine.js';
import { SqliteStore } from '../../../collector/store/sqlite-store.js';
import type { Store } from '../../../collector/store/store.js';

/** 2025-03-01T00:00:00Z, a minute boundary. */
export const Start = Date.parse('2025-03-01T00:00:00.000Z');
export const MinuteMs = 60_000;
export const HourMs = 3_600_000;
export const DayMs = 86_400_000;

export async function memoryStore(): Promise<Store> {
  const store = new SqliteStore({ path: ':memory:', replicaId: 'slo-test' });
  await store.migrate();
  return store;
}

export interface TestBootSpec {
  /** When the outcome was decided (ready, or failed), epoch ms. */
  outcomeAtMs: number;
  amiVersion?: string;
  asg?: string;
  region?: string;
  outcome?: 'success' | 'failure';
  reason?: BootReport['reason'];
  timeToReadySeconds?: number;
}

let serial = 0;

/** A first-boot report whose outcome time is exactly `outcomeAtMs`. */
export function bootAt(spec: TestBootSpec): BootReport {
  serial += 1;
  const ttr = spec.timeToReadySeconds ?? (spec.outcome === 'failure' ? 600 : 45);
  const failed = spec.outcome === 'failure';
  const version = spec.amiVersion ?? '1.0.0';
  return {
    instanceId: `i-${serial.toString(16).padStart(17, '0')}`,
    bootId: `boot-${serial}`,
    firstBoot: true,
    launchedAt: new Date(spec.outcomeAtMs - ttr * 1000).toISOString(),
    amiId: `ami-${Buffer.from(version).toString('hex').padEnd(17, '0').slice(0, 17)}`,
    amiVersion: version,
    region: spec.region ?? 'eu-west-1',
    instanceType: 'm5.large',
    asg: spec.asg ?? 'web-asg',
    outcome: failed ? 'failure' : 'success',
    reason: spec.reason ?? (failed ? 'probe_timeout' : 'none'),
    timeToReadySeconds: ttr,
    phases: {},
  };
}

/** Writes boots through upsertBoot, in concurrent batches so the store group-commits them. */
export async function ingest(store: Store, boots: readonly BootReport[]): Promise<void> {
  for (let i = 0; i < boots.length; i += 256) {
    const batch = boots.slice(i, i + 256);
    await Promise.all(batch.map((b) => store.upsertBoot(b, Date.parse(b.launchedAt))));
  }
}

/** An engine that never schedules itself: the test calls evaluate() after moving the clock. */
export function manualEngine(
  store: Store,
  slos: readonly Slo[],
  clock: ManualClock,
  over: Partial<SloEngineOptions> = {},
): SloEngine {
  return new SloEngine({
    slos,
    store,
    clock,
    heartbeatWindowMs: 5 * MinuteMs,
    scheduler: { every: () => () => undefined },
    ...over,
  });
}
