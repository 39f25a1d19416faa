// `bootwatch scan submit --ami AMI REPORT`: sends a scanner's JSON report (Trivy or Grype, as the
// scanner wrote it; `-` reads standard input) to the collector, gzipped on the way, and prints the
// counts the collector stored.
// `bootwatch scan gate --version V`: asks the collector's scan gate whether the version may be
// promoted; the exit code says it for a pipeline: 0 pass, 3 fail, 4 no (current) scan.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { VulnerabilitySeverities } from '../shared/conventions.js';
import { BootwatchError, errorMessage } from '../shared/errors.js';
import { callApi, DefaultCollectorUrl, type Api } from './api-client.js';
import type { ScanView } from '../collector/scans/image-scan.js';
import type { ScanGateResult } from '../collector/scans/scan-gate.js';

/** Exit codes of `bootwatch scan gate` (1: an error, 2: a usage error, as every command). */
export const GateExit = { pass: 0, fail: 3, no_scan: 4 } as const;

const Help = `usage: bootwatch scan submit --ami AMI_ID [options] REPORT
       bootwatch scan gate --version VERSION [options]

  submit          send a scanner's JSON report of the AMI (trivy --format json, including
                  trivy vm ami:<id>; grype -o json), as the scanner wrote it; REPORT is a file,
                  or - for standard input. The AMI must be registered (POST /api/v1/images).
  gate            the scan gate's decision for an AMI version under the collector's scan policy;
                  exit 0 pass, 3 fail, 4 no scan (or none within max_age), 1 error

  --ami AMI_ID    submit: the AMI the report is of
  --version V     gate: the AMI version
  --json          gate: print the collector's answer as JSON
  --url URL       collector base URL (default $BOOTWATCH_URL or http://127.0.0.1:4318)
  --token TOKEN   admin token (default $BOOTWATCH_ADMIN_TOKEN)
  -h, --help      this text`;

export async function runScanCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ami: { type: 'string' },
      version: { type: 'string' },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub, ...rest] = positionals;
  if (values.help || sub === undefined) {
    console.log(Help);
    return values.help ? 0 : 2;
  }
  const api: Api = {
    url: values.url ?? process.env.BOOTWATCH_URL ?? DefaultCollectorUrl,
    token: values.token ?? process.env.BOOTWATCH_ADMIN_TOKEN,
  };
  if (sub === 'submit') {
    if (values.ami === undefined || rest.length !== 1) {
      console.error(`bootwatch scan submit: expected --ami AMI_ID and one REPORT\n\n${Help}`);
      return 2;
    }
    const scan = await submit(api, values.ami, rest[0]!);
    console.log(formatScan(scan));
    return 0;
  }
  if (sub === 'gate') {
    if (values.version === undefined || rest.length !== 0) {
      console.error(`bootwatch scan gate: expected --version VERSION\n\n${Help}`);
      return 2;
    }
    const path = `/api/v1/images/${encodeURIComponent(values.version)}/scan-gate`;
    const gate = (await callApi(api, path)) as ScanGateResult & { amiVersion: string };
    console.log(values.json ? JSON.stringify(gate, null, 2) : formatGate(gate));
    return GateExit[gate.decision];
  }
  console.error(`bootwatch scan: unknown subcommand '${sub}'\n\n${Help}`);
  return 2;
}

async function submit(api: Api, amiId: string, file: string): Promise<ScanView> {
  const source = file === '-' ? process.stdin : createReadStream(file);
  // A missing file fails here, before the request, with its own message.
  await new Promise<void>((resolve, reject) => {
    if (file === '-') return resolve();
    source.once('open', () => resolve());
    source.once('error', (e: Error) =>
      reject(new BootwatchError('BW_API_REQUEST', `${file}: cannot read: ${errorMessage(e)}`)),
    );
  });
  const body = Readable.toWeb(source.pipe(createGzip())) as ReadableStream<Uint8Array>;
  const answer = (await callApi(api, `/api/v1/images/${encodeURIComponent(amiId)}/scans`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body,
    duplex: 'half',
  })) as { scan: ScanView };
  return answer.scan;
}

/** `critical 1 (1 fixable), high 0, ...` */
function severityLine(scan: Pick<ScanView, 'summary'>): string {
  return VulnerabilitySeverities.map((s) => {
    const c = scan.summary.bySeverity[s];
    return `${s} ${c.total}${c.total > 0 ? ` (${c.fixable} fixable)` : ''}`;
  }).join(', ');
}

export function formatScan(scan: ScanView): string {
  const ids = scan.summary.criticalIds;
  return [
    `stored scan ${scan.scanId} of ${scan.amiId} (version ${scan.amiVersion}): ` +
      `${scan.scanner} ${scan.scannerVersion ?? ''}`.trimEnd() +
      `, scanned ${scan.scannedAt}${scan.timeFromReport ? '' : ' (when received: the report has no time)'}`,
    `  ${scan.summary.distinct} distinct vulnerabilities (${scan.summary.findings} findings): ${severityLine(scan)}`,
    ...(ids.length > 0 ? [`  critical: ${ids.join(', ')}`] : []),
  ].join('\n');
}

export function formatGate(gate: ScanGateResult & { amiVersion: string }): string {
  const limits = Object.entries(gate.policy.maxVulnerabilities)
    .map(([s, n]) => `${s} <= ${n}`)
    .join(', ');
  return [
    `${gate.amiVersion}: ${gate.decision.toUpperCase().replace('_', ' ')}`,
    ...gate.reasons.map((r) => `  ${r}`),
    `  policy: ${limits || 'no limits'} (${gate.policy.count}), max_age ${gate.policy.maxAge}` +
      `${gate.policy.allowUnscanned ? ', unscanned allowed' : ''}`,
    ...(gate.scan
      ? [
          `  scan ${gate.scan.scanId} of ${gate.scan.amiId} by ${gate.scan.scanner} at ${gate.scan.scannedAt}`,
        ]
      : []),
  ].join('\n');
}
