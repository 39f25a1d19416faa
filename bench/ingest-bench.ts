// Collector ingest throughput with durable writes, beside a bare Fastify echo route in the same
// run: autocannon posts distinct OTLP boot reports (every request a new boot) to each server, in
// a process of its own, interleaved, repeated. Target (issue 3): the collector serves at least 0.5x
// the echo's requests per second. Between the two, a decode-only server (the echo route that reads
// the body as the collector does and stores nothing) shows the ceiling that reading the agent's
// body sets: no store, however fast, takes the collector past it. Also: collector RSS after
// ingesting 1M boots.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { pgBenchSchema } from './pg-schema.js';
import { startServer } from './server-process.js';
import { bootBodies, type BodyFactory } from './otlp-bodies.js';
import { summarize, type Summary } from './stats.js';

interface LoadResult {
  rps: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

let nextBoot = 1;

async function load(
  url: string,
  bodies: BodyFactory,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/v1/metrics`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': bodies.contentType },
        setupRequest: (req) => ({ ...req, body: bodies.body(nextBoot++) }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export interface IngestFigures {
  encoding: 'json' | 'protobuf';
  engine: 'sqlite' | 'postgres';
  echoRps: Summary;
  /** The decode-only server: HTTP + decode + boot extraction, nothing stored. */
  decodeRps: Summary;
  collectorRps: Summary;
  echoP99Ms: Summary;
  collectorP99Ms: Summary;
  /** collector / echo, on medians. Target >= 0.5. */
  ratio: number;
  /** decode-only / echo, on medians: the most any collector that reads the body can reach. */
  decodeRatio: number;
  failures: number;
}

export async function benchIngest(options: {
  engine: 'sqlite' | 'postgres';
  encoding: 'json' | 'protobuf';
  rounds?: number;
  seconds?: number;
  connections?: number;
}): Promise<IngestFigures | null> {
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 16;
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-ingest-'));
  const pgUrl = process.env.BOOTWATCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const pgStore = options.engine === 'postgres' ? await pgBenchSchema(pgUrl, 'bw_bench') : null;
  if (options.engine === 'postgres' && !pgStore) return null;
  const bodies = await bootBodies(options.encoding);
  const echo = await startServer('echo');
  const decode = await startServer('decode');
  const collector = await startServer('collector', {
    BOOTWATCH_LISTEN: '127.0.0.1:0',
    BOOTWATCH_STORE: pgStore?.url ?? join(dir, 'bootwatch.db'),
    BOOTWATCH_ALLOW_ANONYMOUS: 'true',
    BOOTWATCH_MAX_IN_FLIGHT: '10000',
  });
  const e: LoadResult[] = [];
  const d: LoadResult[] = [];
  const c: LoadResult[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      e.push(await load(echo.url, bodies, seconds, connections));
      d.push(await load(decode.url, bodies, seconds, connections));
      c.push(await load(collector.url, bodies, seconds, connections));
    }
  } finally {
    await echo.stop();
    await decode.stop();
    await collector.stop();
    await pgStore?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  const echoRps = summarize(e.map((x) => x.rps));
  const collectorRps = summarize(c.map((x) => x.rps));
  const decodeRps = summarize(d.map((x) => x.rps));
  return {
    encoding: options.encoding,
    engine: options.engine,
    echoRps,
    decodeRps,
    collectorRps,
    echoP99Ms: summarize(e.map((x) => x.p99Ms)),
    collectorP99Ms: summarize(c.map((x) => x.p99Ms)),
    ratio: collectorRps.median / echoRps.median,
    decodeRatio: decodeRps.median / echoRps.median,
    failures: [...c, ...d].reduce((n, x) => n + x.non2xx + x.errors, 0),
  };
}

/** Peak and current RSS of a process, from /proc (Linux). */
function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

export interface MemoryFigures {
  boots: number;
  seconds: number;
  rssMbAfter: number;
  peakRssMb: number;
  idleRssMb: number;
}

/**
 * Ingests `total` boots through /v1/metrics (batches of `perRequest` resources per OTLP request,
 * which exporters do when several resources share a pipeline) into a SQLite store and reads the
 * collector's RSS after.
 */
export async function benchMemory(total = 1_000_000, perRequest = 200): Promise<MemoryFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-mem-'));
  const bodies = await bootBodies('json');
  const collector = await startServer('collector', {
    BOOTWATCH_LISTEN: '127.0.0.1:0',
    BOOTWATCH_STORE: join(dir, 'bootwatch.db'),
    BOOTWATCH_ALLOW_ANONYMOUS: 'true',
    BOOTWATCH_BODY_LIMIT: '64MiB',
  });
  const idle = rssMb(collector.child.pid!).rss;
  const started = Date.now();
  let sent = 0;
  try {
    // A batch body: the resourceMetrics of `perRequest` single-boot bodies in one request.
    const batch = (from: number) => {
      const parts: string[] = [];
      for (let i = 0; i < perRequest; i++) {
        const one = bodies.body(from + i).toString('utf8');
        parts.push(one.slice(one.indexOf('[') + 1, one.lastIndexOf(']')));
      }
      return `{"resourceMetrics":[${parts.join(',')}]}`;
    };
    const base = 1 << 30;
    const workers = Array.from({ length: 4 }, async () => {
      while (sent < total) {
        const from = base + sent;
        sent += perRequest;
        const res = await fetch(`${collector.url}/v1/metrics`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: batch(from),
        });
        if (res.status !== 200)
          throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    });
    await Promise.all(workers);
    const after = rssMb(collector.child.pid!);
    return {
      boots: sent,
      seconds: (Date.now() - started) / 1000,
      rssMbAfter: after.rss,
      peakRssMb: after.hwm,
      idleRssMb: idle,
    };
  } finally {
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
