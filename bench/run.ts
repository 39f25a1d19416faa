// `npm run bench`: runs every benchmark and writes bench/results/latest.json and latest.md. Each
// figure stands beside its baseline from the same run (bare node, a bare Fastify echo, a naive
// scan), as min / median / max over repeated runs: these machines are shared and noisy, so only
// ratios measured side by side mean anything.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { benchAgent } from './agent-bench.js';
import { fmt } from './stats.js';

const only = new Set(process.argv.slice(2));
const want = (name: string) => only.size === 0 || only.has(name);
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
  },
};
const md: string[] = [
  '# bootwatch benchmarks',
  '',
  `Run ${results.startedAt} on ${process.version}, ${cpus().length} cores.`,
  '',
];

if (want('agent')) {
  const a = await benchAgent(Number(process.env.BENCH_AGENT_RUNS ?? 15));
  results.agent = a;
  md.push(
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
  );
  console.log(md.slice(-8).join('\n'));
}

mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
writeFileSync('bench/results/latest.md', `${md.join('\n')}\n`);
console.log('wrote bench/results/latest.json and bench/results/latest.md');
