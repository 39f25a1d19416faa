// Sustained load on the collector: autocannon posts distinct OTLP boot reports (bench/otlp-bodies)
// at fixed rates, one step after another, to a collector in a process of its own, for each store
// engine. Bounded in time (seconds per step) and in count (requests per step). Per step: the rate
// asked and achieved, latency percentiles, answers by status (503 is load shedding, with
// Retry-After), the collector's RSS; after each step, the boots the store counted against the 2xx
// answers: under load, nothing acknowledged may be lost.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { pgBenchSchema } from './pg-schema.js';
import { startServer } from './server-process.js';
import { bootBodies } from './otlp-bodies.js';

export interface LoadStep {
  targetRps: number;
  seconds: number;
  requests: number;
  achievedRps: number;
  ok: number;
  shed: number;
  otherNon2xx: number;
  errors: number;
  timeouts: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  rssMb: number;
  /** Boots the collector stored so far, and how many acknowledged ones it does not have. */
  stored: number;
  lost: number;
}

export interface LoadFigures {
  engine: 'sqlite' | 'postgres';
  encoding: 'json' | 'protobuf';
  connections: number;
  idleRssMb: number;
  peakRssMb: number;
  steps: LoadStep[];
}

export interface LoadOptions {
  engine: 'sqlite' | 'postgres';
  encoding?: 'json' | 'protobuf';
  /** Requests per second of each step, in order. */
  rates: number[];
  seconds: number;
  connections?: number;
  /** The most requests one step sends, whatever its rate and length. */
  maxRequestsPerStep?: number;
}

function rss(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Boots the collector counted (first boots decided in the last day, every version). */
async function storedBoots(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/images?since=1d`);
  const body = (await res.json()) as { versions: { launches: number }[] };
  return body.versions.reduce((n, v) => n + v.launches, 0);
}

/** null when the engine is not available (PostgreSQL not running). */
export async function benchLoad(o: LoadOptions): Promise<LoadFigures | null> {
  const encoding = o.encoding ?? 'json';
  const connections = o.connections ?? 32;
  const maxRequests = o.maxRequestsPerStep ?? 200_000;
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-load-'));
  const pgStore =
    o.engine === 'postgres'
      ? await pgBenchSchema(
          process.env.BOOTWATCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
          'bw_load',
        )
      : null;
  if (o.engine === 'postgres' && pgStore === null) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  const bodies = await bootBodies(encoding);
  const collector = await startServer('collector', {
    BOOTWATCH_LISTEN: '127.0.0.1:0',
    BOOTWATCH_STORE: pgStore?.url ?? join(dir, 'bootwatch.db'),
    BOOTWATCH_ALLOW_ANONYMOUS: 'true',
  });
  const pid = collector.child.pid!;
  const figures: LoadFigures = {
    engine: o.engine,
    encoding,
    connections,
    idleRssMb: rss(pid).rss,
    peakRssMb: 0,
    steps: [],
  };
  // Every request a new boot, across steps: instance numbers continue where the last step ended.
  let next = 1 << 28;
  let acknowledged = 0;
  try {
    for (const rate of o.rates) {
      // autocannon ends a run at `amount` requests and then ignores `duration`: the count is
      // bounded through the rate instead (at most maxRequests in the step's seconds).
      const result = await autocannon({
        url: `${collector.url}/v1/metrics`,
        connections,
        overallRate: Math.min(rate, Math.floor(maxRequests / o.seconds)),
        duration: o.seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': bodies.contentType },
            setupRequest: (req) => ({ ...req, body: bodies.body(next++) }),
          },
        ],
      });
      const codes =
        (result as unknown as { statusCodeStats?: Record<string, { count: number }> })
          .statusCodeStats ?? {};
      const shed = codes['503']?.count ?? 0;
      acknowledged += result['2xx'];
      const stored = await storedBoots(collector.url);
      figures.steps.push({
        targetRps: rate,
        seconds: result.duration,
        requests: result.requests.total,
        // requests.average averages per-second samples, which a run ended by `amount` skews.
        achievedRps: result.duration > 0 ? result.requests.total / result.duration : 0,
        ok: result['2xx'],
        shed,
        otherNon2xx: result.non2xx - shed,
        errors: result.errors,
        timeouts: result.timeouts,
        latencyMs: {
          p50: result.latency.p50,
          p90: result.latency.p90,
          p99: result.latency.p99,
          max: result.latency.max,
        },
        rssMb: rss(pid).rss,
        stored,
        lost: Math.max(0, acknowledged - stored),
      });
    }
    figures.peakRssMb = rss(pid).hwm;
  } finally {
    await collector.stop();
    await pgStore?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
