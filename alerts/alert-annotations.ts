// Annotations of the burn-rate alerts, as Prometheus alert templates (Go text/template). Numbers
// an alert's own value does not carry (the short-window burn, counts, budget consumed, the Auto
// Scaling groups affected) are read with the template `query` function from the recorded series
// of the same group: `printf` fills the group's label values in, `%[1]q` quoting them as PromQL
// strings.
import { PromLabel } from '../shared/conventions.js';
import type { AlertTier, GroupByLabel, Slo } from '../shared/slo/model.js';
import { formatFactor } from '../shared/slo/tiers.js';
import { errorBudget, promNumber } from './recording-rules.js';
import { RecordName, windowName } from './rule-names.js';
import { scaledRange } from './rule-windows.js';
import { errorsExpr } from './slo-promql.js';

export interface AnnotationLinks {
  /** Grafana base URL, e.g. http://localhost:3000. */
  grafanaUrl: string;
  /** The runbook (alerts/RUNBOOK.md where your repository serves it, or your wiki page). */
  runbookUrl: string;
}

/** The on-call dashboard's uid and slug (dashboards/oncall.ts uses the same). */
export const OnCallDashboard = { uid: 'bootwatch-oncall', slug: 'bootwatch-on-call' } as const;

const LabelWords: Record<GroupByLabel, string> = {
  ami_version: 'AMI version',
  ami_id: 'AMI',
  region: 'region',
  asg: 'Auto Scaling group',
  instance_type: 'instance type',
};

/** Dashboard variables a group label can set. */
const DashboardVariables: readonly string[] = [
  PromLabel.amiVersion,
  PromLabel.region,
  PromLabel.asg,
];

export function groupPhrase(groupBy: readonly GroupByLabel[]): string {
  if (groupBy.length === 0) return 'the whole fleet';
  return groupBy.map((l) => `${LabelWords[l]} {{ $labels.${l} }}`).join(', ');
}

/** Matchers selecting the alert's own group in a printf format: `ami_version=%[1]q`. */
function groupMatchers(slo: Slo): string[] {
  return [`slo="${slo.name}"`, ...slo.groupBy.map((l, i) => `${l}=%[${i + 1}]q`)];
}

function printfQuery(format: string, slo: Slo): string {
  const args = slo.groupBy.map((l) => ` $labels.${l}`).join('');
  return `printf \`${format}\`${args} | query`;
}

const same = (s: string) => s;

/** `{{ with <query> }}`: the block after it sees the query's result as `.`. */
function withRecorded(slo: Slo, name: string, expr: (series: string) => string = same): string {
  const series = `${name}{${groupMatchers(slo).join(', ')}}`;
  return `{{ with ${printfQuery(expr(series), slo)} }}`;
}

/** One number read from a recorded series of the alert's group, `n/a` when there is none. */
function recorded(slo: Slo, name: string, pipe: string, expr: (s: string) => string = same) {
  return `${withRecorded(slo, name, expr)}{{ . | first | value | ${pipe} }}{{ else }}n/a{{ end }}`;
}

function badWords(slo: Slo): string {
  if (slo.sli === 'rollout_success') return 'were rolled back';
  return slo.sli === 'time_to_ready'
    ? `were not ready within ${String(slo.thresholdSeconds)} s`
    : 'failed';
}

/** What the SLO counts, in the alert's words. */
function eventWords(slo: Slo): string {
  return slo.sli === 'rollout_success' ? 'rollouts finished' : 'first boots';
}

/** The Auto Scaling groups with bad boots in the long window, when the SLO does not group by asg. */
function affectedAsgs(slo: Slo, tier: AlertTier, timeScale: number): string {
  if (slo.groupBy.includes(PromLabel.asg) || slo.sli === 'rollout_success') return '';
  const matchers = slo.groupBy.map((l, i) => `${l}=%[${i + 1}]q`);
  const range = scaledRange(tier.longWindowMs, timeScale);
  const expr = `${errorsExpr(slo, range, matchers, [PromLabel.asg])} > 0`;
  const each =
    '{{ if $i }}, {{ end }}{{ or $s.Labels.asg "(none)" }} ({{ $s.Value | printf "%.0f" }})';
  return (
    `\nAuto Scaling groups with bad boots in the last ${windowName(tier.longWindowMs)}: ` +
    `{{ range $i, $s := ${printfQuery(expr, slo)} | sortByLabel "asg" }}${each}{{ end }}.`
  );
}

export function burnAnnotations(
  slo: Slo,
  tier: AlertTier,
  links: AnnotationLinks,
  timeScale: number,
): Record<string, string> {
  const long = windowName(tier.longWindowMs);
  const short = windowName(tier.shortWindowMs);
  const sloWindow = windowName(slo.windowMs);
  const group = groupPhrase(slo.groupBy);
  const burn = '{{ $value | printf "%.1f" }}x';
  const count = 'printf "%.0f"';
  const shortBurn = recorded(slo, RecordName.burnRate(tier.shortWindowMs), 'printf "%.1f"');
  const events = recorded(slo, RecordName.events(tier.longWindowMs), count);
  const errors = recorded(slo, RecordName.errors(tier.longWindowMs), count);
  const sharePercent = promNumber((tier.longWindowMs / slo.windowMs) * 100);
  // humanizePercentage writes 14290% as 1.429e+04%: percentages are computed in the query.
  const percent = 'printf "%.1f%%"';
  const longConsumed = recorded(
    slo,
    RecordName.burnRate(tier.longWindowMs),
    percent,
    (s) => `${s} * ${sharePercent}`,
  );
  // Summed from whole hours (rule-windows.ts, SliceMs): absent in a group's first hour.
  const consumed =
    withRecorded(slo, RecordName.budgetRemaining(slo.windowMs), (s) => `(1 - ${s}) * 100`) +
    `; {{ . | first | value | ${percent} }} of it is consumed over the last ${sloWindow}` +
    ' (whole hours){{ end }}';
  const objective = `${promNumber(slo.objective * 100)}%`;
  return {
    summary: `${slo.name}: ${group} burns the ${sloWindow} error budget at ${burn} (${tier.severity}: ${long}/${short} above ${formatFactor(tier.factor)}x)`,
    description:
      `${group}: ${errors} of ${events} ${eventWords(slo)} ${badWords(slo)} in the last ${long}.\n` +
      `Burn rate ${burn} over ${long} and ${shortBurn}x over ${short}; ` +
      `this ${tier.severity} fires above ${formatFactor(tier.factor)}x ` +
      `(objective ${objective} over ${sloWindow}, error budget ${promNumber(errorBudget(slo) * 100)}%).\n` +
      `The last ${long} alone consumed ${longConsumed} of the ${sloWindow} error budget` +
      `${consumed}.` +
      affectedAsgs(slo, tier, timeScale),
    runbook_url: `${links.runbookUrl}#bootwatcherrorbudgetburn`,
    dashboard_url: dashboardUrl(links, slo.groupBy),
  };
}

function dashboardUrl(links: AnnotationLinks, groupBy: readonly GroupByLabel[]): string {
  const vars = groupBy
    .filter((l) => DashboardVariables.includes(l))
    .map((l) => `var-${l}={{ $labels.${l} | urlquery }}`);
  const base = `${links.grafanaUrl.replace(/\/+$/, '')}/d/${OnCallDashboard.uid}/${OnCallDashboard.slug}`;
  return vars.length === 0 ? base : `${base}?${vars.join('&')}`;
}

export function noDataAnnotations(links: AnnotationLinks, forText: string): Record<string, string> {
  return {
    summary: 'Prometheus receives no data from any bootwatch collector',
    description:
      `No bootwatch_instances_running series for ${forText}: the collector is down or Prometheus ` +
      'does not scrape it. Every bootwatch SLO alert is blind until it is back: a bad AMI would not page.',
    runbook_url: `${links.runbookUrl}#bootwatchnodata`,
    dashboard_url: `${links.grafanaUrl.replace(/\/+$/, '')}/d/${OnCallDashboard.uid}/${OnCallDashboard.slug}`,
  };
}
