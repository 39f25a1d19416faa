// Heartbeats at fleet scale (agent coverage): a fleet of `fleet` instances (100,000 by default)
// heartbeating every minute sends fleet / 60 requests a second (about 1,700). Per engine: the
// fleet's launches and one heartbeat each are stored first; then autocannon posts heartbeats,
// each instance in turn, to the decode-only server and to the collector, interleaved. Coverage
// (running and heartbeating instances, read at every scrape and SLO evaluation) is timed before
// and after: the store keeps one row per instance, so its cost follows the fleet, not how many
// heartbeats arrived. Each heartbeat of the load rewrites its row: the stored ones are older than
// the refresh (heartbeats.ts).
import type { InstanceEvent } from '../collector/model.js';
import { openStore } from '../collector/store/open-store.js';
import type { Store } from '../collector/store/store.js';
import { benchStore, closeStore, storedRows, type BenchStore } from './bench-store.js';
import { CpuMeter, postgresPids, type CpuShares } from './cpu-meter.js';
import { medianShares } from './ingest-bench.js';
import { load, requireAllOk, type LoadResult } from './load.js';
import { heartbeatBodies, instanceIdOf } from './otlp-bodies.js';
import { startServer } from './server-process.js';
import { summarize, type Summary } from './stats.js';

export interface HeartbeatFigures {
  engine: 'sqlite' | 'postgres';
  fleet: number;
  connections: number;
  /** What the fleet sends: one heartbeat per instance per minute. */
  neededRps: number;
  decodeRps: Summary;
  collectorRps: Summary;
  collectorP99Ms: Summary;
  /** collector / decode-only, on medians. */
  ratio: number;
  failures: number;
  /** Heartbeats acknowledged during the load, and the rows kept for them (one per instance). */
  heartbeats: number;
  rows: number;
  coverage: { running: number; heartbeating: number };
  /** Milliseconds per coverage read, before and after the load. */
  coverageMsBefore: Summary;
  coverageMsAfter: Summary;
  cpu: CpuShares;
}

const Chunk = 1000;
const AmiId = 'ami-0bench0000000001a';

/** The fleet's launches and a heartbeat of each, written in chunks through the store. */
async function seed(store: Store, fleet: number, nowMs: number): Promise<void> {
  for (let from = 1; from <= fleet; from += Chunk) {
    const ids = Array.from({ length: Math.min(Chunk, fleet - from + 1) }, (_, i) =>
      instanceIdOf(from + i),
    );
    await store.recordEvents(
      ids.map((instanceId): InstanceEvent => ({
        eventId: `launch-${instanceId}`,
        kind: 'running',
        instanceId,
        atMs: nowMs - 3_600_000,
        source: 'aws.ec2',
        detailType: 'EC2 Instance State-change Notification',
        region: 'eu-west-1',
        accountId: '123456789012',
        amiId: AmiId,
        instanceType: 'm7i.large',
        availabilityZone: 'eu-west-1a',
        asg: 'bench-asg',
      })),
      nowMs,
    );
    await store.recordHeartbeats(
      ids.map((instanceId) => ({
        instanceId,
        amiId: AmiId,
        amiVersion: 'bench-1.0.0',
        region: 'eu-west-1',
        asg: 'bench-asg',
        // Older than the collector's refresh (half its window): every heartbeat of the load
        // rewrites its row, the costly case (at one a minute, two in three write nothing).
        atMs: nowMs - 180_000,
      })),
    );
  }
}

async function timeCoverage(
  store: Store,
  sinceMs: number,
): Promise<{ ms: Summary; coverage: { running: number; heartbeating: number } }> {
  const times: number[] = [];
  let coverage = { running: 0, heartbeating: 0 };
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    coverage = await store.coverage(sinceMs);
    times.push(performance.now() - t0);
  }
  return { ms: summarize(times), coverage };
}

async function withStore<T>(s: BenchStore, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(s.spec, { replicaId: 'bench-seed' });
  try {
    return await fn(store);
  } finally {
    await closeStore(store);
  }
}

export async function benchHeartbeats(options: {
  engine: 'sqlite' | 'postgres';
  fleet: number;
  rounds: number;
  seconds: number;
  connections: number;
}): Promise<HeartbeatFigures | null> {
  const { engine, fleet, rounds, seconds, connections } = options;
  const s = await benchStore(engine, 'bw_beats');
  if (s === null) return null;
  const window = 5 * 60_000; // the collector's default heartbeat_window
  let decode: Awaited<ReturnType<typeof startServer>> | undefined;
  let collector: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const before = await withStore(s, async (store) => {
      await seed(store, fleet, Date.now());
      return timeCoverage(store, Date.now() - window);
    });
    const bodies = await heartbeatBodies('json', fleet);
    decode = await startServer('decode');
    collector = await startServer('collector', {
      BOOTWATCH_LISTEN: '127.0.0.1:0',
      BOOTWATCH_STORE: s.spec,
      BOOTWATCH_ALLOW_ANONYMOUS: 'true',
      BOOTWATCH_MAX_IN_FLIGHT: '10000',
    });
    const pid = collector.child.pid!;
    const meter = new CpuMeter({
      collector: () => [pid],
      ...(engine === 'postgres' ? { postgres: postgresPids } : {}),
    });
    let n = 0;
    const next = () => n++;
    const d: LoadResult[] = [];
    const c: LoadResult[] = [];
    const cpu: CpuShares[] = [];
    for (let i = 0; i < rounds; i++) {
      d.push(await load(decode.url, bodies, seconds, connections, next));
      meter.start();
      c.push(await load(collector.url, bodies, seconds, connections, next));
      cpu.push(meter.stop());
    }
    await collector.stop();
    collector = undefined;
    const after = await withStore(s, (store) => timeCoverage(store, Date.now() - window));
    requireAllOk('decode-only', d);
    const decodeRps = summarize(d.map((x) => x.rps));
    const collectorRps = summarize(c.map((x) => x.rps));
    return {
      engine,
      fleet,
      connections,
      neededRps: fleet / 60,
      decodeRps,
      collectorRps,
      collectorP99Ms: summarize(c.map((x) => x.p99Ms)),
      ratio: collectorRps.median / decodeRps.median,
      failures: c.reduce((k, x) => k + x.non2xx + x.errors, 0),
      heartbeats: c.reduce((k, x) => k + x.ok, 0),
      rows: await storedRows(s, 'heartbeats'),
      coverage: after.coverage,
      coverageMsBefore: before.ms,
      coverageMsAfter: after.ms,
      cpu: medianShares(cpu),
    };
  } finally {
    await decode?.stop();
    await collector?.stop();
    await s.drop();
  }
}
