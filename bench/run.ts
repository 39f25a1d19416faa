// `npm run bench`: runs every benchmark and writes bench/results/latest.json and latest.md. Each
// figure stands beside its baseline from the same run (bare node, a bare Fastify echo, a naive
// scan), as min / median / max over repeated runs: these machines are shared and noisy, so only
// ratios measured side by side mean anything.
//
// `tsx bench/run.ts agent load` runs only the sections named and writes bench/results/agent-load.*
// instead of latest.*. The run is bounded: a section that would start with less of
// BENCH_BUDGET_MINUTES (default 15) left than it needs is skipped, and the report says so; the SLO
// section runs last and sizes itself to what is left.
// Sections: agent decode scans ingest replicas heartbeats storage writes memory load feedlag slo.
// Parameters, all from the environment:
//   BENCH_AGENT_RUNS (15)  BENCH_SCAN_RUNS (5)  BENCH_INGEST_ROUNDS (3)  BENCH_INGEST_SECONDS (5)
//   BENCH_INGEST_CASES (all: engine/encoding/connections, e.g. postgres/json/16,sqlite/protobuf/64)
//   BENCH_REPLICA_CONNECTIONS (32)  BENCH_HEARTBEAT_FLEET (100000)  BENCH_HEARTBEAT_CONNECTIONS (16)
//   BENCH_STORAGE_BOOTS (20000)  BENCH_WRITE_BOOTS (4000)  BENCH_WRITE_ROUNDS (3)
//   BENCH_MEMORY_BOOTS (1000000)  BENCH_LOAD_RATES (500,1000,2000,4000)  BENCH_LOAD_SECONDS (10)
//   BENCH_LOAD_CONNECTIONS (32)  BENCH_FEEDLAG_RATE (2000)  BENCH_FEEDLAG_INTERVAL_SECONDS (5)
//   BENCH_FEEDLAG_SECONDS (15)  BENCH_SLO_SIZES (10000,1000000,10000000)  BENCH_SLO_EVALUATIONS (10)
// The ingest, replica and heartbeat sections use BENCH_INGEST_ROUNDS and BENCH_INGEST_SECONDS.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchAgent } from './agent-bench.js';
import { benchDecode } from './decode-bench.js';
import { cpuText } from './cpu-meter.js';
import { benchFeedLag, formatFeedLag } from './feed-lag-bench.js';
import { benchHeartbeats } from './heartbeat-bench.js';
import { benchIngest, benchMemory } from './ingest-bench.js';
import { benchLoad } from './load-bench.js';
import { benchReplicas } from './replica-bench.js';
import { benchScans } from './scan-bench.js';
import { benchSlo, formatSloBench } from './slo-bench.js';
import { benchStorage } from './storage-bench.js';
import { benchWrites } from './write-bench.js';
import { fmt } from './stats.js';

const env = process.env;
const num = (name: string, fallback: number) => {
  const n = Number(env[name] ?? fallback);
  if (!(n > 0)) throw new Error(`${name}: expected a number above 0, got '${env[name]}'`);
  return n;
};
const only = new Set(process.argv.slice(2));
const want = (name: string) => only.size === 0 || only.has(name);
const started = Date.now();
const budgetMs = num('BENCH_BUDGET_MINUTES', 15) * 60_000;

const results: Record<string, unknown> = {
  startedAt: new Date(started).toISOString(),
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
  },
  seconds: {} as Record<string, number>,
  skipped: [] as string[],
};
const md: string[] = [
  '# bootwatch benchmarks',
  '',
  `Run ${results.startedAt} on ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}). ` +
    'Figures are median (min, max, n) over repeated runs, each beside its baseline from the same run.',
  '',
];

interface Section {
  json: unknown;
  md: string[];
}

/**
 * Runs a section unless it was not asked for, or unless it would start with less than `minMs` of
 * the time budget left (its rough cost with the default parameters).
 */
async function section(
  name: string,
  minMs: number,
  run: () => Promise<Section | null>,
): Promise<void> {
  if (!want(name)) return;
  const left = budgetMs - (Date.now() - started);
  if (left < minMs) {
    (results.skipped as string[]).push(name);
    md.push(
      `## ${name}`,
      '',
      `Skipped: ${Math.round(left / 1000)} s of the time budget left, it needs about ${Math.round(minMs / 1000)} s.`,
      '',
    );
    return;
  }
  console.log(`bench: ${name}...`);
  const t0 = Date.now();
  const out = await run();
  (results.seconds as Record<string, number>)[name] = Math.round((Date.now() - t0) / 100) / 10;
  if (out === null) return;
  results[name] = out.json;
  md.push(...out.md);
  console.log(out.md.join('\n'));
}

await section('agent', 20_000, async () => {
  const a = await benchAgent(num('BENCH_AGENT_RUNS', 15));
  return {
    json: a,
    md: [
      '## Agent: bundled agent, start to acknowledged report, vs bare `node -e 0`',
      '',
      '| | wall ms | CPU ms | peak RSS MB |',
      '|---|---|---|---|',
      `| bare node | ${fmt(a.bare.wallMs)} | ${fmt(a.bare.cpuMs)} | ${fmt(a.bare.maxRssMb)} |`,
      `| agent | ${fmt(a.agent.wallMs)} | ${fmt(a.agent.cpuMs)} | ${fmt(a.agent.maxRssMb)} |`,
      '',
      `Own work (agent - bare) / bare, wall medians: **${a.ownWorkRatio.toFixed(2)}x** (target <= 2). ` +
        `Bundle: **${(a.bundleBytes / 1024).toFixed(0)} KiB** (target <= 2048). Reports acknowledged: ${a.reports}/${a.runs}.`,
      '',
    ],
  };
});

await section('decode', 10_000, async () => {
  const figures = [await benchDecode('json'), await benchDecode('protobuf')];
  return {
    json: figures,
    md: [
      "## Decode: the collector's OTLP reading vs the parser under it (same process)",
      '',
      '| encoding | body bytes | parser µs (JSON.parse / protobufjs) | decode + extract µs | ratio |',
      '|---|---|---|---|---|',
      ...figures.map(
        (f) =>
          `| ${f.encoding} | ${f.bodyBytes} | ${fmt(f.parseUs, 1)} | ${fmt(f.decodeUs, 1)} | **${f.ratio.toFixed(2)}** |`,
      ),
      '',
    ],
  };
});

await section('scans', 60_000, async () => {
  const r = await benchScans(num('BENCH_SCAN_RUNS', 5));
  const f = r.figures;
  const row = (what: string, m: keyof typeof f) =>
    `| ${what} | ${fmt(f[m].ms, 0)} | ${fmt(f[m].maxRssMb, 0)} |`;
  const over = (m: keyof typeof f, base: keyof typeof f) =>
    (f[m].maxRssMb.median - f[base].maxRssMb.median).toFixed(0);
  return {
    json: r,
    md: [
      `## Scans: a ${(r.reportBytes / 1024 / 1024).toFixed(1)} MiB Trivy report (${r.entries} entries), streamed vs JSON.parse`,
      '',
      '| | ms | peak RSS MB |',
      '|---|---|---|',
      row('bare node + reader loaded (RSS floor)', 'bare'),
      row('JSON.parse of the file', 'parse'),
      row('streaming reader (readReportStream)', 'stream'),
      row('collector, idle', 'collector-idle'),
      row('collector, POST of the report (loopback)', 'collector'),
      '',
      `Peak RSS over its floor, medians: JSON.parse **+${over('parse', 'bare')} MB**, streaming ` +
        `reader **+${over('stream', 'bare')} MB**, collector ingest **+${over('collector', 'collector-idle')} MB**.`,
      '',
    ],
  };
});

const ingestRounds = num('BENCH_INGEST_ROUNDS', 3);
const ingestSeconds = num('BENCH_INGEST_SECONDS', 5);
// Each case: rounds x (echo + decode-only + collector), plus starting the servers. 16
// connections is a busy fleet; 64 shows what group commit makes of more agents reporting at once.
const engines = ['sqlite', 'postgres'] as const;
const encodings = ['json', 'protobuf'] as const;
const allCases = engines.flatMap((engine) =>
  [16, 64].flatMap((connections) =>
    encodings.map((encoding) => ({ engine, encoding, connections })),
  ),
);
const ingestCases =
  env.BENCH_INGEST_CASES === undefined
    ? allCases
    : env.BENCH_INGEST_CASES.split(',').map((c) => {
        const found = allCases.find((x) => `${x.engine}/${x.encoding}/${x.connections}` === c);
        if (found === undefined) {
          throw new Error(
            `BENCH_INGEST_CASES: expected engine/encoding/connections such as postgres/json/16, got '${c}'`,
          );
        }
        return found;
      });
const target = { sqlite: 0.7, postgres: 0.5 };
await section(
  'ingest',
  ingestCases.length * ingestRounds * 3 * ingestSeconds * 1000 + 25_000,
  async () => {
    const rounds = ingestRounds;
    const seconds = ingestSeconds;
    const figures = [];
    const rows: string[] = [];
    const cpuRows: string[] = [];
    for (const { engine, encoding, connections } of ingestCases) {
      const f = await benchIngest({ engine, encoding, rounds, seconds, connections });
      if (f === null) {
        rows.push(
          `| ${engine} | ${encoding} | ${connections} | not run: PostgreSQL is not reachable | | | | | | | | |`,
        );
        continue;
      }
      figures.push(f);
      rows.push(
        `| ${engine} | ${encoding} | ${connections} | ${fmt(f.echoRps, 0)} | ${fmt(f.decodeRps, 0)} | ${fmt(f.collectorRps, 0)} | ` +
          `**${f.ratio.toFixed(2)}** (${f.ratioRange.min.toFixed(2)}-${f.ratioRange.max.toFixed(2)}; >= ${target[engine]}) | ${f.decodeRatio.toFixed(2)} | ${f.echoRatio.toFixed(2)} | ` +
          `${fmt(f.decodeP99Ms, 0)} | ${fmt(f.collectorP99Ms, 0)} | ${f.failures} | ${f.lost} |`,
      );
      const us = (shares: Record<string, number>) =>
        Object.entries(shares)
          .map(([g, v]) => `${g === 'loadGenerator' ? 'load generator' : g} ${v.toFixed(0)}`)
          .join(', ');
      const sum = (shares: Record<string, number>) =>
        Object.values(shares).reduce((a, b) => a + b, 0);
      cpuRows.push(
        `| ${engine} | ${encoding} | ${connections} | ${cpuText(f.cpu)} | ${us(f.decodeCpuPerRequestUs)} (${sum(f.decodeCpuPerRequestUs).toFixed(0)}) | ${us(f.cpuPerRequestUs)} (${sum(f.cpuPerRequestUs).toFixed(0)}) |`,
      );
    }
    return {
      json: figures,
      md: [
        '## Ingest: collector (durable writes, every request a new boot) vs the decode-only server',
        '',
        "The decode-only server reads each body as the collector does and stores nothing: the ceiling of any collector on this machine. Targets: collector / decode-only at least 0.7 on SQLite, 0.5 on PostgreSQL; nothing acknowledged lost. The ratio is the median of the rounds' ratios (each round runs the three servers one after the other), then the range over rounds.",
        '',
        '| engine | encoding | connections | echo req/s | decode-only req/s | collector req/s | collector / decode-only | decode-only / echo | collector / echo | decode-only p99 ms | collector p99 ms | failed requests | acknowledged but not stored |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
        ...rows,
        '',
        "CPU while the collector was loaded, in cores (medians over rounds; PostgreSQL: every `postgres` process of the server), and CPU per request in µs (a process's cores over the requests a second; in brackets, the sum), for the decode-only server's runs and the collector's. Every process shares the machine's cores: when the sum of the collector's run times its requests a second reaches the cores there are, that rate is the most this machine can do, whatever the collector's own speed.",
        '',
        '| engine | encoding | connections | CPU, collector run (cores) | decode-only run: CPU per request (µs) | collector run: CPU per request (µs) |',
        '|---|---|---|---|---|---|',
        ...cpuRows,
        '',
      ],
    };
  },
);

await section('replicas', ingestRounds * 3 * ingestSeconds * 1000 + 15_000, async () => {
  const connections = num('BENCH_REPLICA_CONNECTIONS', 32);
  const f = await benchReplicas({ rounds: ingestRounds, seconds: ingestSeconds, connections });
  if (f === null) {
    return { json: null, md: ['## Replicas', '', 'Not run: PostgreSQL is not reachable.', ''] };
  }
  return {
    json: f,
    md: [
      `## Replicas: two collectors on one PostgreSQL vs one, ${connections} connections in all (JSON)`,
      '',
      'On one machine the replicas, PostgreSQL and the load generator share its cores: the total is bounded by them, and the CPU columns say where they went (cores; PostgreSQL: every `postgres` process).',
      '',
      '| | req/s | p99 ms | CPU |',
      '|---|---|---|---|',
      `| decode-only server | ${fmt(f.decodeRps, 0)} | | |`,
      `| one replica | ${fmt(f.oneRps, 0)} | ${fmt(f.oneP99Ms, 0)} | ${cpuText(f.oneCpu)} |`,
      `| two replicas, half the connections each | ${fmt(f.twoRps, 0)} | ${fmt(f.twoP99Ms, 0)} | ${cpuText(f.twoCpu)} |`,
      '',
      `Two / one: **${f.ratio.toFixed(2)}**. Failed requests: ${f.failures}. Acknowledged but not stored: ${f.lost}.`,
      '',
    ],
  };
});

const heartbeatFleet = num('BENCH_HEARTBEAT_FLEET', 100_000);
await section('heartbeats', 2 * ingestRounds * 2 * ingestSeconds * 1000 + 60_000, async () => {
  const connections = num('BENCH_HEARTBEAT_CONNECTIONS', 16);
  const all = [];
  const rows: string[] = [];
  for (const engine of engines) {
    const f = await benchHeartbeats({
      engine,
      fleet: heartbeatFleet,
      rounds: ingestRounds,
      seconds: ingestSeconds,
      connections,
    });
    if (f === null) {
      rows.push(`| ${engine} | not run: PostgreSQL is not reachable | | | | | | | | |`);
      continue;
    }
    all.push(f);
    rows.push(
      `| ${engine} | ${Math.round(f.neededRps)} | ${fmt(f.decodeRps, 0)} | ${fmt(f.collectorRps, 0)} | **${f.ratio.toFixed(2)}** | ` +
        `${fmt(f.collectorP99Ms, 0)} | ${f.failures} | ${f.heartbeats} / ${f.rows} | ` +
        `${fmt(f.coverageMsBefore, 1)} | ${fmt(f.coverageMsAfter, 1)} | ${cpuText(f.cpu)} |`,
    );
  }
  return {
    json: all,
    md: [
      `## Heartbeats: a fleet of ${heartbeatFleet.toLocaleString('en')} instances, one heartbeat each a minute, ${connections} connections (JSON)`,
      '',
      'Each request one heartbeat of the next instance of the fleet, whose launches and first heartbeats are stored before. Coverage (running and heartbeating instances, read at every scrape and SLO evaluation) is timed before and after the load.',
      '',
      '| engine | needed req/s | decode-only req/s | collector req/s | collector / decode-only | collector p99 ms | failed requests | heartbeats received / rows kept | coverage ms before | coverage ms after | CPU (cores) |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ],
  };
});

const storageBoots = num('BENCH_STORAGE_BOOTS', 20_000);
await section('storage', 60_000, async () => {
  const all = [];
  const rows: string[] = [];
  const kb = (n: number | undefined) => (n === undefined ? '' : n.toFixed(0));
  for (const engine of engines) {
    const f = await benchStorage(engine, storageBoots);
    if (f === null) {
      rows.push(`| ${engine} | not run: PostgreSQL is not reachable | | | | | | | |`);
      continue;
    }
    all.push(f);
    const b = f.bytesPerRow;
    rows.push(
      `| ${engine} | ${kb(b.boots)} | ${kb(b.events)} | ${kb(b.launches)} | ${kb(b.heartbeats)} | ${kb(b.rollups)} | ` +
        `${kb(f.walPerBoot ?? undefined)} | ${kb(f.walPerHeartbeat ?? undefined)} | ${kb(f.walPerHeartbeatReceived ?? undefined)} |`,
    );
  }
  return {
    json: all,
    md: [
      `## Storage: bytes per row after ${storageBoots.toLocaleString('en')} boots, each with its launch events and a heartbeat`,
      '',
      "Bytes per row: table and indexes, after VACUUM (PostgreSQL) or a checkpoint and VACUUM (SQLite). WAL (PostgreSQL): the least of several batches (100 reports; 1,000 heartbeats), commit records included; other databases of the server can only add to it. A heartbeat written rewrites its row; from agents heartbeating every minute, with the collector's refresh of half the 5 min window, two in three write nothing.",
      '',
      '| engine | boots | events | launches | heartbeats | rollups | WAL per boot | WAL per heartbeat written | WAL per heartbeat received |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ],
  };
});

const writeBoots = num('BENCH_WRITE_BOOTS', 4000);
const writeRounds = num('BENCH_WRITE_ROUNDS', 3);
await section('writes', 60_000, async () => {
  const decode = await benchDecode('json');
  const rows: string[] = [];
  const frames: string[] = [];
  const all = [];
  for (const engine of engines) {
    const f = await benchWrites(engine, [1, 16, 64], writeBoots, writeRounds);
    if (f === null) {
      rows.push(`| ${engine} | not run: PostgreSQL is not reachable | | | | |`);
      continue;
    }
    all.push(f);
    for (const w of f.writes) {
      rows.push(
        `| ${engine} | ${w.batch} | ${fmt(w.wallUs, 1)} | ${fmt(w.cpuUs, 1)} | ${decode.decodeUs.median.toFixed(1)} | **${(w.wallUs.median / decode.decodeUs.median).toFixed(2)}** |`,
      );
    }
    if (f.frames !== null) {
      const parts = Object.entries(f.frames.perBoot)
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${n.toFixed(2)}`);
      frames.push(
        `SQLite, ${f.frames.batch} reports a commit: **${f.frames.total.toFixed(2)} WAL frames per boot** (${parts.join(', ')}).`,
        '',
      );
    }
  }
  return {
    json: { decodeUs: decode.decodeUs, engines: all },
    md: [
      `## Writes: a store's write of a boot by itself, beside the collector's decode of a boot body (same process)`,
      '',
      `${writeBoots.toLocaleString('en')} new first boots per round and batch size, submitted that many at once (the group commit's batch), after 5,000 written before; ${writeRounds} rounds. No HTTP and no load generator: what the store costs by itself. Process CPU counts every thread (SQLite's checkpointer; not PostgreSQL's own processes). Decode: decodeMetricsRequest + extractBoots of a JSON boot body.`,
      '',
      '| engine | reports at once | write µs per boot (wall) | process CPU µs per boot | decode µs per body | write / decode |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      ...frames,
    ],
  };
});

const memoryBoots = num('BENCH_MEMORY_BOOTS', 1_000_000);
// About 4000 boots/s on a 2-core machine.
await section('memory', (memoryBoots / 4000) * 1000, async () => {
  const m = await benchMemory(memoryBoots);
  return {
    json: m,
    md: [
      `## Memory at scale: collector RSS after ingesting ${m.boots.toLocaleString('en')} boots (SQLite)`,
      '',
      '| idle RSS MB | RSS after MB | peak RSS MB | seconds | boots/s |',
      '|---|---|---|---|---|',
      `| ${m.idleRssMb.toFixed(0)} | ${m.rssMbAfter.toFixed(0)} | ${m.peakRssMb.toFixed(0)} | ${m.seconds.toFixed(0)} | ${Math.round(m.boots / m.seconds)} |`,
      '',
    ],
  };
});

const loadRates = (env.BENCH_LOAD_RATES ?? '500,1000,2000,4000').split(',').map((r) => {
  const n = Number(r);
  if (!(n > 0))
    throw new Error(`BENCH_LOAD_RATES: expected numbers above 0 separated by commas, got '${r}'`);
  return n;
});
const loadSeconds = num('BENCH_LOAD_SECONDS', 10);
await section('load', 2 * loadRates.length * loadSeconds * 1000 + 20_000, async () => {
  const rates = loadRates;
  const seconds = loadSeconds;
  const connections = num('BENCH_LOAD_CONNECTIONS', 32);
  const all = [];
  const rows: string[] = [];
  for (const engine of ['sqlite', 'postgres'] as const) {
    const f = await benchLoad({ engine, rates, seconds, connections });
    if (f === null) {
      rows.push(`| ${engine} | not run: PostgreSQL is not reachable | | | | | | | | |`);
      continue;
    }
    all.push(f);
    for (const s of f.steps) {
      rows.push(
        `| ${engine} | ${s.targetRps} | ${s.achievedRps.toFixed(0)} | ${s.ok} | ${s.shed} | ${s.otherNon2xx + s.errors + s.timeouts} | ` +
          `${s.latencyMs.p50} | ${s.latencyMs.p99} | ${s.rssMb.toFixed(0)} | ${s.lost} |`,
      );
    }
  }
  return {
    json: all,
    md: [
      `## Sustained load: fixed request rates, ${seconds} s a step, ${connections} connections, every request a new boot`,
      '',
      '| engine | target req/s | achieved req/s | 2xx | 503 (shed) | other failures | p50 ms | p99 ms | RSS MB | acknowledged but not stored |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      'The last column must be 0: a report the collector acknowledged is stored.',
      '',
    ],
  };
});

await section('feedlag', 45_000, async () => {
  const rows = await benchFeedLag({
    bootsPerSecond: num('BENCH_FEEDLAG_RATE', 2000),
    intervalMs: num('BENCH_FEEDLAG_INTERVAL_SECONDS', 5) * 1000,
    seconds: num('BENCH_FEEDLAG_SECONDS', 15),
    log: (line) => console.log(`  ${line}`),
  });
  return { json: rows, md: formatFeedLag(rows) };
});

const sloSizes = (env.BENCH_SLO_SIZES ?? '10000,1000000,10000000').split(',').map((r) => {
  const n = Number(r);
  if (!(n > 0))
    throw new Error(`BENCH_SLO_SIZES: expected boot counts separated by commas, got '${r}'`);
  return n;
});
await section('slo', 60_000, async () => {
  // Last, with what is left of the budget: a size whose data would take longer than half of
  // it to generate is skipped, and the report says so.
  const left = budgetMs - (Date.now() - started);
  const r = await benchSlo({
    sizes: sloSizes,
    evaluations: num('BENCH_SLO_EVALUATIONS', 10),
    maxGenerateMs: Math.max(30_000, left / 2),
    log: (line) => console.log(`  ${line}`),
  });
  return { json: r, md: formatSloBench(r) };
});

results.totalSeconds = Math.round((Date.now() - started) / 1000);
md.push(`Total: ${results.totalSeconds} s (budget ${budgetMs / 60_000} min).`, '');
// A run of some sections does not replace the report of a full run.
const name = only.size === 0 ? 'latest' : [...only].join('-');
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`bench/results/${name}.md`, `${md.join('\n')}\n`);
console.log(`wrote bench/results/${name}.json and bench/results/${name}.md`);
