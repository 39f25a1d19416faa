// Two collector replicas on one PostgreSQL, beside one, in the same run: the same load (distinct
// boot reports, `connections` in flight) goes to replica A alone, then half to A and half to B at
// once, with the decode-only server as the baseline. On one machine the replicas, PostgreSQL and
// the load generator share the cores, so the total is bounded by them: the CPU split says where
// they went. Every boot acknowledged must be stored once.
import { CpuMeter, postgresPids, type CpuShares } from './cpu-meter.js';
import { benchStore, storedRows } from './bench-store.js';
import { medianShares } from './ingest-bench.js';
import { load, requireAllOk, type LoadResult } from './load.js';
import { bootBodies } from './otlp-bodies.js';
import { startServer } from './server-process.js';
import { summarize, type Summary } from './stats.js';

export interface ReplicaFigures {
  connections: number;
  decodeRps: Summary;
  oneRps: Summary;
  /** Both replicas' requests per second, added. */
  twoRps: Summary;
  oneP99Ms: Summary;
  /** The worse of the two replicas' p99, per round. */
  twoP99Ms: Summary;
  /** two / one, on medians. */
  ratio: number;
  oneCpu: CpuShares;
  twoCpu: CpuShares;
  failures: number;
  lost: number;
}

let nextBoot = 1 << 29;

export async function benchReplicas(options: {
  rounds: number;
  seconds: number;
  connections: number;
}): Promise<ReplicaFigures | null> {
  const { rounds, seconds, connections } = options;
  const store = await benchStore('postgres', 'bw_replicas');
  if (store === null) return null;
  const bodies = await bootBodies('json');
  const replica = (id: string) =>
    startServer('collector', {
      BOOTWATCH_LISTEN: '127.0.0.1:0',
      BOOTWATCH_STORE: store.spec,
      BOOTWATCH_REPLICA_ID: id,
      BOOTWATCH_ALLOW_ANONYMOUS: 'true',
      BOOTWATCH_MAX_IN_FLIGHT: '10000',
    });
  const decode = await startServer('decode');
  const a = await replica('bench-a');
  const b = await replica('bench-b');
  const next = () => nextBoot++;
  const collectors = () => [a.child.pid!, b.child.pid!];
  const meter = new CpuMeter({ collectors, postgres: postgresPids });
  const d: LoadResult[] = [];
  const one: LoadResult[] = [];
  const two: LoadResult[][] = [];
  const oneCpu: CpuShares[] = [];
  const twoCpu: CpuShares[] = [];
  let stored = -1;
  try {
    for (let i = 0; i < rounds; i++) {
      d.push(await load(decode.url, bodies, seconds, connections, next));
      meter.start();
      one.push(await load(a.url, bodies, seconds, connections, next));
      oneCpu.push(meter.stop());
      meter.start();
      const half = Math.max(1, Math.floor(connections / 2));
      two.push(
        await Promise.all([
          load(a.url, bodies, seconds, half, next),
          load(b.url, bodies, seconds, connections - half, next),
        ]),
      );
      twoCpu.push(meter.stop());
    }
  } finally {
    await decode.stop();
    await a.stop();
    await b.stop();
    stored = await storedRows(store, 'boots').catch(() => -1);
    await store.drop();
  }
  requireAllOk('decode-only', d);
  const all = [...one, ...two.flat()];
  const acknowledged = all.reduce((n, x) => n + x.ok, 0);
  const oneRps = summarize(one.map((x) => x.rps));
  const twoRps = summarize(two.map(([x, y]) => (x?.rps ?? 0) + (y?.rps ?? 0)));
  return {
    connections,
    decodeRps: summarize(d.map((x) => x.rps)),
    oneRps,
    twoRps,
    oneP99Ms: summarize(one.map((x) => x.p99Ms)),
    twoP99Ms: summarize(two.map((r) => Math.max(...r.map((x) => x.p99Ms)))),
    ratio: twoRps.median / oneRps.median,
    oneCpu: medianShares(oneCpu),
    twoCpu: medianShares(twoCpu),
    failures: all.reduce((n, x) => n + x.non2xx + x.errors, 0),
    lost: stored < 0 ? acknowledged : Math.max(0, acknowledged - stored),
  };
}
