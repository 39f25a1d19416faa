// Ingest of a 20 MiB Trivy report (issue 13): the streaming reader and the collector's route,
// beside JSON.parse of the same bytes, in the same run. The report is built by repeating the real
// vulnerability entries of test/fixtures/real/scans/ (each copy under its own id) behind the real
// header of a `trivy vm` report, indented as Trivy writes it. Each measurement is a process of its
// own (peak RSS only grows within a process), from the compiled dist/, interleaved over the runs:
//   bare         node with the reader loaded, reading nothing: the RSS floor
//   JSON.parse   readFileSync + JSON.parse of the whole report, then a count over the objects
//   stream       the file through readReportStream (what the route does with the request body)
//   collector    a collector idle, and the same collector taking the report over loopback
//                (POST /api/v1/images/:amiId/scans; the client in the same process, streaming)
// Time is the work inside the process (not its start-up); RSS the process's peak.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize, type Summary } from './stats.js';

const Preload = new URL('./rusage-preload.mjs', import.meta.url).href;
const Dist = new URL('../dist/', import.meta.url).href;
const Fixtures = new URL('../test/fixtures/real/scans/', import.meta.url);
const AmiId = 'ami-0be4c4000000000a1';

/** A Trivy JSON report of about `bytes` bytes, from the real entries. Returns its text and entry count. */
export function trivyReport(bytes: number): { text: string; entries: number } {
  const read = (name: string) =>
    JSON.parse(readFileSync(new URL(name, Fixtures), 'utf8')) as {
      Results: { Vulnerabilities?: Record<string, unknown>[] }[];
    };
  const real = [
    'trivy-amazon-2.json',
    'trivy-centos-7.json',
    'trivy-amazonlinux2-gp2-x86-vm.json',
  ].flatMap((name) => read(name).Results.flatMap((r) => r.Vulnerabilities ?? []));
  const report = read('trivy-amazonlinux2-gp2-x86-vm.json') as Record<string, unknown> & {
    Results: { Vulnerabilities?: unknown[] }[];
  };
  report.ArtifactName = `ami:${AmiId}`;
  const build = (n: number) => {
    report.Results[0]!.Vulnerabilities = Array.from({ length: n }, (_, i) => ({
      ...real[i % real.length],
      VulnerabilityID: `CVE-2099-${100000 + i}`,
    }));
    return `${JSON.stringify(report, null, 2)}\n`;
  };
  // Sized from a first build of 1,000 entries: the header is small beside them.
  const perEntry = Buffer.byteLength(build(1000)) / 1000;
  const count = Math.floor(bytes / perEntry);
  return { text: build(count), entries: count };
}

type Mode = 'bare' | 'parse' | 'stream' | 'collector-idle' | 'collector';

/** What each child process runs (an ES module, given the report's path and the dist URL). */
const Script = `
const mode = process.env.BENCH_SCAN_MODE;
const file = process.env.BENCH_SCAN_FILE;
const dist = process.env.BENCH_SCAN_DIST;
const { readFileSync, createReadStream } = await import('node:fs');
const { readReportStream } = await import(dist + 'collector/scans/read-report.js');
let out = { ms: 0 };
const t0 = performance.now();
if (mode === 'parse') {
  const report = JSON.parse(readFileSync(file).toString('utf8'));
  let n = 0;
  for (const r of report.Results) n += (r.Vulnerabilities ?? []).length;
  out = { ms: performance.now() - t0, entries: n };
} else if (mode === 'stream') {
  const report = await readReportStream(createReadStream(file, { highWaterMark: 65536 }), { limitBytes: 64 * 1024 * 1024 });
  out = { ms: performance.now() - t0, entries: report.summary.findings };
} else if (mode.startsWith('collector')) {
  const { buildCollectorConfig } = await import(dist + 'collector/config.js');
  const { runCollector } = await import(dist + 'collector/run-collector.js');
  const { request } = await import('node:http');
  const c = await runCollector(buildCollectorConfig({ file: { listen: '127.0.0.1:0', store: process.env.BENCH_SCAN_STORE,
    admin_token: 't', allow_anonymous: true, log_level: 'silent' }, hostname: 'bench' }), { handleSignals: false });
  const headers = { authorization: 'Bearer t', 'content-type': 'application/json' };
  const image = await fetch(c.url + '/api/v1/images', { method: 'POST', headers, body: JSON.stringify({ amiId: '${AmiId}', version: 'bench' }) });
  if (image.status !== 201) throw new Error('registering the image: ' + (await image.text()));
  const t1 = performance.now();
  if (mode === 'collector') {
    const answer = await new Promise((resolve, reject) => {
      const req = request(c.url + '/api/v1/images/${AmiId}/scans', { method: 'POST', headers }, (res) => {
        let text = ''; res.on('data', (d) => (text += d)); res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      createReadStream(file, { highWaterMark: 65536 }).pipe(req);
    });
    if (answer.status !== 201) throw new Error('collector answered ' + answer.status + ': ' + answer.text);
    out = { ms: performance.now() - t1, entries: JSON.parse(answer.text).scan.summary.findings };
  }
  await c.close();
}
process.stdout.write(JSON.stringify(out));
`;

interface Sample {
  ms: number;
  maxRssMb: number;
  entries: number;
}

function measure(mode: Mode, file: string, store: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', Preload, '--input-type=module', '-e', Script],
      {
        env: {
          ...process.env,
          BENCH_SCAN_MODE: mode,
          BENCH_SCAN_FILE: file,
          BENCH_SCAN_DIST: Dist,
          BENCH_SCAN_STORE: store,
        },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    let usage = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdio[3]!.on('data', (c: Buffer) => (usage += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${mode}: exit ${code}: ${stderr}`));
      const out = JSON.parse(stdout) as { ms: number; entries?: number };
      const u = JSON.parse(usage) as { maxRssKb: number };
      resolve({ ms: out.ms, maxRssMb: u.maxRssKb / 1024, entries: out.entries ?? 0 });
    });
  });
}

export interface ScanBenchResult {
  reportBytes: number;
  entries: number;
  runs: number;
  figures: Record<Mode, { ms: Summary; maxRssMb: Summary }>;
}

export async function benchScans(runs = 5, bytes = 20 * 1024 * 1024): Promise<ScanBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bw-bench-scans-'));
  try {
    const { text, entries } = trivyReport(bytes);
    const file = join(dir, 'trivy-report.json');
    writeFileSync(file, text);
    const modes: Mode[] = ['bare', 'parse', 'stream', 'collector-idle', 'collector'];
    const samples = Object.fromEntries(modes.map((m) => [m, [] as Sample[]])) as Record<
      Mode,
      Sample[]
    >;
    for (let run = 0; run < runs; run += 1) {
      for (const mode of modes) {
        const sample = await measure(mode, file, join(dir, `bench-${run}-${mode}.db`));
        if (mode !== 'bare' && mode !== 'collector-idle' && sample.entries !== entries) {
          throw new Error(`${mode} counted ${sample.entries} entries, the report has ${entries}`);
        }
        samples[mode].push(sample);
      }
    }
    const figures = Object.fromEntries(
      modes.map((m) => [
        m,
        {
          ms: summarize(samples[m].map((s) => s.ms)),
          maxRssMb: summarize(samples[m].map((s) => s.maxRssMb)),
        },
      ]),
    ) as ScanBenchResult['figures'];
    return { reportBytes: Buffer.byteLength(text), entries, runs, figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
