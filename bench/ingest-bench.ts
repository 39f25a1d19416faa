// Collector ingest throughput with durable writes, beside a bare Fastify echo route and a
// decode-only server in the same run: autocannon posts distinct OTLP boot reports (every request
// a new boot) to each server, in a process of its own, interleaved, repeated. The decode-only
// server (the echo route that reads the body as the collector does and stores nothing) is the
// baseline (issue 14): no store, however fast, takes the collector past it. Targets: the
// collector at least 0.7x the decode-only server on SQLite, 0.5x on PostgreSQL, nothing
// acknowledged lost. Also: collector RSS after ingesting 1M boots.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuMeter, postgresPids, type CpuShares } from './cpu-meter.js';
import { load, requireAllOk, type LoadResult } from './load.js';
import { benchStore, storedRows } from './bench-store.js';
import { startServer } from './server-process.js';
import { bootBodies } from './otlp-bodies.js';
import { summarize, type Summary } from './stats.js';

export interface IngestFigures {
  encoding: 'json' | 'protobuf';
  engine: 'sqlite' | 'postgres';
  connections: number;
  echoRps: Summary;
  /** The decode-only server: HTTP + decode + boot extraction, nothing stored. */
  decodeRps: Summary;
  collectorRps: Summary;
  echoP99Ms: Summary;
  decodeP99Ms: Summary;
  collectorP99Ms: Summary;
  /**
   * collector / decode-only: the median over rounds of each round's ratio (the two ran within
   * seconds of each other, so a machine that slows down between rounds moves both), with its
   * range. The figure the targets are about.
   */
  ratio: number;
  ratioRange: Summary;
  /** decode-only / echo, on medians: what reading the body costs on this machine. */
  decodeRatio: number;
  /** collector / echo, on medians (the withdrawn target of issue 3, for comparison). */
  echoRatio: number;
  /** Requests to the collector that failed (not 2xx, or errors); the baselines may fail none. */
  failures: number;
  /** Boots the collector acknowledged (2xx) and does not have once it stopped. */
  lost: number;
  /** Share of a core per process while the collector was loaded (medians over rounds). */
  cpu: CpuShares;
  /** The same while the decode-only server was loaded. */
  decodeCpu: CpuShares;
  /**
   * CPU per request, µs: each group's cores over the requests a second (medians over rounds), for
   * the collector's run and the decode-only server's. On a machine whose cores the servers, the
   * database and the load generator share, these sums bound what any of them can reach.
   */
  cpuPerRequestUs: CpuShares;
  decodeCpuPerRequestUs: CpuShares;
}

let nextBoot = 1;

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
  const store = await benchStore(options.engine, 'bw_bench');
  if (store === null) return null;
  const bodies = await bootBodies(options.encoding);
  const echo = await startServer('echo');
  const decode = await startServer('decode');
  const collector = await startServer('collector', {
    BOOTWATCH_LISTEN: '127.0.0.1:0',
    BOOTWATCH_STORE: store.spec,
    BOOTWATCH_ALLOW_ANONYMOUS: 'true',
    BOOTWATCH_MAX_IN_FLIGHT: '10000',
  });
  const meter = new CpuMeter({
    collector: () => [collector.child.pid!],
    ...(options.engine === 'postgres' ? { postgres: postgresPids } : {}),
  });
  const decodeMeter = new CpuMeter({ 'decode-only': () => [decode.child.pid!] });
  const e: LoadResult[] = [];
  const d: LoadResult[] = [];
  const c: LoadResult[] = [];
  const cpu: CpuShares[] = [];
  const decodeCpu: CpuShares[] = [];
  const next = () => nextBoot++;
  let stored = 0;
  try {
    for (let i = 0; i < rounds; i++) {
      e.push(await load(echo.url, bodies, seconds, connections, next));
      decodeMeter.start();
      d.push(await load(decode.url, bodies, seconds, connections, next));
      decodeCpu.push(decodeMeter.stop());
      meter.start();
      c.push(await load(collector.url, bodies, seconds, connections, next));
      cpu.push(meter.stop());
    }
  } finally {
    await echo.stop();
    await decode.stop();
    await collector.stop();
    stored = await storedRows(store, 'boots').catch(() => -1);
    await store.drop();
  }
  requireAllOk('echo', e);
  requireAllOk('decode-only', d);
  const echoRps = summarize(e.map((x) => x.rps));
  const collectorRps = summarize(c.map((x) => x.rps));
  const decodeRps = summarize(d.map((x) => x.rps));
  const acknowledged = c.reduce((n, x) => n + x.ok, 0);
  return {
    encoding: options.encoding,
    engine: options.engine,
    connections,
    echoRps,
    decodeRps,
    collectorRps,
    echoP99Ms: summarize(e.map((x) => x.p99Ms)),
    decodeP99Ms: summarize(d.map((x) => x.p99Ms)),
    collectorP99Ms: summarize(c.map((x) => x.p99Ms)),
    ratio: pairedRatios(c, d).median,
    ratioRange: pairedRatios(c, d),
    decodeRatio: decodeRps.median / echoRps.median,
    echoRatio: collectorRps.median / echoRps.median,
    failures: c.reduce((n, x) => n + x.non2xx + x.errors, 0),
    lost: stored < 0 ? acknowledged : Math.max(0, acknowledged - stored),
    cpu: medianShares(cpu),
    decodeCpu: medianShares(decodeCpu),
    cpuPerRequestUs: perRequestUs(cpu, c),
    decodeCpuPerRequestUs: perRequestUs(decodeCpu, d),
  };
}

/** Each group's CPU per request in µs, the median over rounds of cores / (requests a second). */
function perRequestUs(rounds: readonly CpuShares[], loads: readonly LoadResult[]): CpuShares {
  return medianShares(
    rounds.map((r, i) =>
      Object.fromEntries(
        Object.entries(r).map(([g, cores]) => [g, (cores / (loads[i]?.rps ?? NaN)) * 1e6]),
      ),
    ),
  );
}

/** Each round's collector req/s over the decode-only server's of the same round. */
export function pairedRatios(
  collector: readonly LoadResult[],
  baseline: readonly LoadResult[],
): Summary {
  return summarize(collector.map((x, i) => x.rps / (baseline[i]?.rps ?? NaN)));
}

/** The median of each group's share over rounds. */
export function medianShares(rounds: readonly CpuShares[]): CpuShares {
  const groups = new Set(rounds.flatMap((r) => Object.keys(r)));
  return Object.fromEntries(
    [...groups].map((g) => [g, summarize(rounds.map((r) => r[g] ?? 0)).median]),
  );
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
