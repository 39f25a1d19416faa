// `bootwatch slo validate FILE`: checks an SLO file (bootwatch YAML or OpenSLO v1), printing every
// problem with its file, line and field; exit 0 when valid, 1 otherwise.
// `bootwatch slo status [--url URL]`: asks a collector for GET /api/v1/slos and prints it as a table.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatDuration } from '../shared/duration.js';
import { BootwatchError, errorMessage } from '../shared/errors.js';
import { checkSloDocuments } from '../shared/slo/load.js';
import { formatFactor } from '../shared/slo/tiers.js';
import type { GroupStatus, SloReport, SloStatus, WindowStatus } from '../collector/slo/report.js';

const Help = `usage: bootwatch slo validate FILE
       bootwatch slo status [--url URL] [--token TOKEN] [--slo NAME]

  validate FILE   check SLO definitions (bootwatch \`slos:\` YAML or OpenSLO v1 kind: SLO);
                  prints every problem with file:line and field; exit 0 valid, 1 invalid
  status          print each SLO's groups: SLI, error budget left, burn rate and events per
                  window, alert state (GET /api/v1/slos of a running collector)

  --url URL       collector base URL (default $BOOTWATCH_URL or http://127.0.0.1:4318)
  --token TOKEN   admin token for the read API (default $BOOTWATCH_ADMIN_TOKEN)
  --slo NAME      only this SLO
  -h, --help      this text`;

export async function runSloCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      slo: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub, ...rest] = positionals;
  if (values.help || sub === undefined) {
    console.log(Help);
    return values.help ? 0 : 2;
  }
  if (sub === 'validate') {
    if (rest.length !== 1) {
      console.error(`bootwatch slo validate: expected one FILE, got ${rest.length}\n\n${Help}`);
      return 2;
    }
    return validate(rest[0]!);
  }
  if (sub === 'status') {
    const url = values.url ?? process.env.BOOTWATCH_URL ?? 'http://127.0.0.1:4318';
    const token = values.token ?? process.env.BOOTWATCH_ADMIN_TOKEN;
    const report = await fetchReport(url, token, values.slo);
    console.log(formatSloTable(report));
    return 0;
  }
  console.error(`bootwatch slo: unknown subcommand '${sub}'\n\n${Help}`);
  return 2;
}

function validate(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    console.error(`${file}: cannot read: ${errorMessage(e)}`);
    return 1;
  }
  const { slos, problems, notes } = checkSloDocuments(text, file);
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    for (const n of notes) console.error(`note: ${n}`);
    console.error(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    return 1;
  }
  for (const s of slos) {
    const factors = s.tiers
      .map(
        (t) =>
          `${t.severity} ${formatDuration(t.longWindowMs)}/${formatDuration(t.shortWindowMs)} ${formatFactor(t.factor)}x`,
      )
      .join(', ');
    console.log(
      `${s.name}: ${s.sli}${s.thresholdSeconds === null ? '' : ` within ${s.thresholdSeconds}s`} ` +
        `${pct(s.objective)} over ${formatDuration(s.windowMs)}, by [${s.groupBy.join(', ')}]; ${factors}`,
    );
  }
  for (const n of notes) console.log(`note: ${n}`);
  console.log(`${file}: ${slos.length} SLO${slos.length === 1 ? '' : 's'}, valid`);
  return 0;
}

/** The report; with `slo`, every group of that SLO, page after page. */
async function fetchReport(
  url: string,
  token: string | undefined,
  slo?: string,
): Promise<SloReport> {
  const target = new URL('/api/v1/slos', url);
  if (!slo) return (await fetchPage(target, token)) as SloReport;
  target.searchParams.set('slo', slo);
  target.searchParams.set('limit', '1000');
  const first = await fetchPage(target, token);
  for (let cursor = first.nextCursor; cursor;) {
    target.searchParams.set('cursor', cursor);
    const next = await fetchPage(target, token);
    first.slos[0]!.groups.push(...next.slos[0]!.groups);
    cursor = next.nextCursor;
  }
  return first;
}

async function fetchPage(
  target: URL,
  token: string | undefined,
): Promise<SloReport & { nextCursor?: string | null }> {
  let res: Response;
  try {
    res = await fetch(target, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new BootwatchError('BW_API_REQUEST', `${target.href}: no answer: ${errorMessage(e)}`);
  }
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok) {
    throw new BootwatchError(
      'BW_API_REQUEST',
      `${target.href} answered ${res.status}: ${body?.error?.message ?? JSON.stringify(body)}`,
    );
  }
  return body as unknown as SloReport & { nextCursor?: string | null };
}

/** The report as text: one table per SLO, one row per group. */
export function formatSloTable(report: SloReport): string {
  const out = [`SLOs evaluated at ${report.evaluatedAt}`];
  for (const slo of report.slos) out.push('', ...sloTable(slo));
  return out.join('\n');
}

function sloTable(slo: SloStatus): string[] {
  const what =
    slo.thresholdSeconds === null ? slo.sli : `${slo.sli} within ${slo.thresholdSeconds}s`;
  const by = slo.groupBy.length > 0 ? `by ${slo.groupBy.join(', ')}` : 'fleet-wide';
  const head = `${slo.name}: ${what}, objective ${pct(slo.objective)} over ${slo.window}, ${by}`;
  if (slo.groups.length === 0) return [head, `  no events in the last ${slo.window}`];
  const windows = slo.groups[0]!.windows.map((w) => w.window);
  const header = [
    'GROUP',
    `SLI ${slo.window}`,
    'BUDGET LEFT',
    'ALERT',
    ...windows.map((w) => `BURN ${w} (EVENTS)`),
  ];
  const rows = slo.groups.map((g) => [
    groupName(g),
    sliCell(slo, g),
    g.budget.remaining === null ? 'no events' : pct(g.budget.remaining),
    alertCell(g),
    ...g.windows.map(burnCell),
  ]);
  const total = (slo as SloStatus & { groupsTotal?: number }).groupsTotal ?? slo.groups.length;
  const folded =
    total > slo.groups.length
      ? [
          `  ${total} groups: the most recently active are shown, the rest summed in 'other' ` +
            `(bootwatch slo status --slo ${slo.name} lists them all)`,
        ]
      : [];
  return [
    head,
    '  per window: burn rate / events (budget spent 1x = exactly over the SLO window)',
    ...table([header, ...rows]).map((line) => `  ${line}`),
    ...folded,
  ];
}

function groupName(g: GroupStatus): string {
  const labels = Object.entries(g.labels);
  return labels.length === 0 ? '(fleet)' : labels.map(([k, v]) => `${k}=${v}`).join(' ');
}

function sliCell(slo: SloStatus, g: GroupStatus): string {
  if (g.sliRatio === null) return 'no events';
  const whole = g.windows.find((w) => w.windowMs === slo.windowMs);
  if (slo.sli === 'replacement_rate' && whole?.replacementsPer1000PerDay != null) {
    return `${whole.replacementsPer1000PerDay.toFixed(1)}/1000/day`;
  }
  return pct(g.sliRatio);
}

function alertCell(g: GroupStatus): string {
  const firing = g.tiers.find((t) => t.firing && t.severity === g.alert);
  if (!firing) return 'ok';
  const burn =
    firing.longBurnRate === null
      ? ''
      : ` ${firing.longBurnRate.toFixed(1)}x>${formatFactor(firing.factor)}x`;
  const sparse = firing.trust === 'confidence' ? ' (sparse: Wilson)' : '';
  return `${g.alert.toUpperCase()} ${firing.longWindow}/${firing.shortWindow}${burn}${sparse}`;
}

function burnCell(w: WindowStatus): string {
  if (w.burnRate === null) return '-/0';
  const events = Number.isInteger(w.events) ? String(w.events) : w.events.toFixed(1);
  return `${w.burnRate.toFixed(2)}x/${events}`;
}

function pct(ratio: number): string {
  return `${Number((ratio * 100).toFixed(3))}%`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}
