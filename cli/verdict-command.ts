// `bootwatch verdict`: the rollout verdict for a release pipeline, as a table (or --json), with an
// exit code the pipeline branches on. --wait polls until the verdict is no longer `hold` or the
// timeout passes, with a progress line on a terminal. docs/rollouts.md has a GitHub Actions step.
import { parseArgs } from 'node:util';
import { parseDurationMs, formatDuration } from '../shared/duration.js';
import { BootwatchError } from '../shared/errors.js';
import type { VerdictAnswer } from '../collector/rollouts/rollout-judge.js';
import { describeScope } from '../collector/rollouts/rollout-model.js';
import type { RolloutView } from '../collector/rollouts/rollout-view.js';
import type { Check, Verdict } from '../collector/rollouts/verdict-model.js';
import { callApi, DefaultCollectorUrl, type Api } from './api-client.js';

/** Exit codes (1: an error, 2: a usage error, as every command). */
export const VerdictExit = { promote: 0, rollback: 3, hold: 4 } as const satisfies Record<
  Verdict,
  number
>;

export const VerdictDefaults = {
  timeout: '2h', // --wait: a canary's planned duration (policy.ts, canaryDurationMs)
  interval: '60s', // --wait: a poll a minute, as the verdict's repeated-looks design assumes
} as const;

const Help = `usage: bootwatch verdict --rollout ID [options]
       bootwatch verdict --candidate V [--baseline V] [--asg ASG]... [--region R]... [options]

  The verdict of a rollout: promote, hold or rollback, with every check behind it.
  Exit codes: 0 promote, 4 hold, 3 rollback, 1 error (no answer, unknown rollout), 2 usage.

  --rollout ID      the rollout (POST /api/v1/rollouts answered its id)
  --candidate V     or find the one active rollout of this candidate version, narrowed by
  --baseline V      its baseline, and by groups and regions of its scope (repeatable)
  --asg ASG
  --region R
  --json            print the collector's answer as JSON
  --wait            poll until the verdict is no longer hold, or the timeout passes
  --timeout D       with --wait (default ${VerdictDefaults.timeout}); then exit 4, still hold
  --interval D      with --wait, between polls (default ${VerdictDefaults.interval})
  --url URL         collector base URL (default $BOOTWATCH_URL or ${DefaultCollectorUrl})
  --token TOKEN     read or admin token (default $BOOTWATCH_READ_TOKEN, else $BOOTWATCH_ADMIN_TOKEN)
  -h, --help        this text`;

export async function runVerdictCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      rollout: { type: 'string' },
      candidate: { type: 'string' },
      baseline: { type: 'string' },
      asg: { type: 'string', multiple: true, default: [] },
      region: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: VerdictDefaults.timeout },
      interval: { type: 'string', default: VerdictDefaults.interval },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(Help);
    return 0;
  }
  const byId = values.rollout !== undefined;
  const byCandidate = values.candidate !== undefined;
  if (positionals.length > 0 || byId === byCandidate) {
    console.error(`bootwatch verdict: expected --rollout ID or --candidate V\n\n${Help}`);
    return 2;
  }
  if (byId && !/^[1-9][0-9]{0,15}$/.test(values.rollout!)) {
    console.error(
      `bootwatch verdict: --rollout expects a rollout id (1, 2, ...), got '${values.rollout}'`,
    );
    return 2;
  }
  const timeoutMs = parseDurationMs(values.timeout, '--timeout');
  const intervalMs = parseDurationMs(values.interval, '--interval');
  const api: Api = {
    url: values.url ?? process.env.BOOTWATCH_URL ?? DefaultCollectorUrl,
    token: values.token ?? process.env.BOOTWATCH_READ_TOKEN ?? process.env.BOOTWATCH_ADMIN_TOKEN,
  };
  const id = byId
    ? Number(values.rollout)
    : await findRollout(api, values.candidate!, values.baseline, values.asg, values.region);

  const path = `/api/v1/rollouts/${id}/verdict`;
  const deadline = Date.now() + timeoutMs;
  const progress = values.wait && process.stderr.isTTY === true;
  const started = Date.now();
  let answer = (await callApi(api, path)) as VerdictAnswer;
  while (values.wait && answer.verdict === 'hold' && Date.now() + intervalMs <= deadline) {
    if (progress) process.stderr.write(`\r\x1b[K${progressLine(answer, Date.now() - started)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    answer = (await callApi(api, path)) as VerdictAnswer;
  }
  if (progress) process.stderr.write('\r\x1b[K');
  console.log(values.json ? JSON.stringify(answer, null, 2) : formatVerdict(answer));
  return VerdictExit[answer.verdict];
}

/** The id of the one active rollout that matches; BW_API_REQUEST when none or several do. */
async function findRollout(
  api: Api,
  candidate: string,
  baseline: string | undefined,
  asgs: readonly string[],
  regions: readonly string[],
): Promise<number> {
  const { rollouts } = (await callApi(api, '/api/v1/rollouts?state=canary')) as {
    rollouts: RolloutView[];
  };
  const found = rollouts.filter(
    (r) =>
      r.candidate === candidate &&
      (baseline === undefined || r.baseline === baseline) &&
      asgs.every((a) => r.scope.asgs.includes(a)) &&
      regions.every((g) => r.scope.regions.includes(g)),
  );
  const asked = [
    `candidate ${candidate}`,
    ...(baseline === undefined ? [] : [`baseline ${baseline}`]),
    ...asgs.map((a) => `asg ${a}`),
    ...regions.map((g) => `region ${g}`),
  ].join(', ');
  if (found.length === 1) return found[0]!.id;
  throw new BootwatchError(
    'BW_API_REQUEST',
    found.length === 0
      ? `no active rollout matches ${asked}; ${rollouts.length} active: ` +
          (rollouts.map((r) => `${r.id} (${r.candidate})`).join(', ') || 'none')
      : `${found.length} active rollouts match ${asked}: ${found.map((r) => r.id).join(', ')}; ` +
          'name one with --rollout ID or narrow with --baseline, --asg, --region',
  );
}

function progressLine(a: VerdictAnswer, waitedMs: number): string {
  const holding = a.checks.filter((c) => c.decision === 'hold').map((c) => c.detail);
  return `rollout ${a.rollout.id}: hold after ${formatDuration(Math.round(waitedMs / 1000) * 1000)}: ${holding.join('; ')}`;
}

/** A check's figure in its unit: `1.5%`, `61.2 s`, `40 boots`, `30 min`, `firing`. */
function figureText(value: number | null, unit: Check['unit']): string {
  if (value === null) return '-';
  switch (unit) {
    case 'ratio':
      return `${Number((value * 100).toPrecision(3))}%`;
    case 's':
      return `${Number(value.toFixed(1))} s`;
    case 'boots':
      return `${value} boots`;
    case 'min':
      return `${Number(value.toFixed(1))} min`;
    case 'firing':
      return value > 0 ? 'firing' : 'none';
  }
}

export function formatVerdict(a: VerdictAnswer): string {
  const r = a.rollout;
  const rows = a.checks.map((c) => [
    c.name,
    c.decision,
    figureText(c.figure, c.unit),
    figureText(c.threshold, c.unit),
    c.detail,
  ]);
  const head = ['check', 'decision', 'figure', 'threshold', 'detail'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    `rollout ${r.id}: ${r.candidate} against ${r.baseline ?? 'no baseline'} in ${describeScope(r.scope)}, ${r.state} since ${r.startedAt}`,
    `verdict: ${a.verdict.toUpperCase()} (judged ${a.judgedAt})`,
    '',
    line(head),
    ...rows.map(line),
    ...(a.notes.length > 0 ? ['', 'notes:', ...a.notes.map((n) => `  ${n}`)] : []),
  ].join('\n');
}
