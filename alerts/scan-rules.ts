// The image scan alerts, both tickets (a vulnerability is patched on a schedule, never paged for):
//
// BootwatchImageVulnerabilitiesIncreased: the newest AMI version's latest scan has more fixable
//   critical vulnerabilities than the latest scan of the version it replaces (the one registered
//   before it: bootwatch_image_replaces_info). Worked example: 2026.11.3 replaces 2026.11.2; their
//   scans count 3 and 1 fixable critical: fires for 2026.11.3 with value 3. Once 2026.11.4 is
//   registered, 2026.11.3 is no longer new and the ticket resolves.
//
// BootwatchImageScanOverdue: the version running most instances has no scan within the scan
//   policy's max_age (never scanned, or last scanned longer ago). New CVEs are published every
//   day: an image last scanned a month ago says little about the fleet it runs today.
//
// Several collector replicas export the same gauges (they share one store): `max by` reads one.
import { PromLabel, PromMetric } from '../shared/conventions.js';
import type { ScanPolicy } from '../shared/slo/scan-policy.js';
import type { AnnotationLinks } from './alert-annotations.js';
import { promNumber } from './recording-rules.js';
import type { AlertingRule, RuleGroup } from './rule-file.js';
import { AlertName, GroupName, Severity } from './rule-names.js';
import { scaledRange } from './rule-windows.js';

/** The executive dashboard (dashboards/executive.ts), where the vulnerability trend is. */
const ExecutiveDashboard = { uid: 'bootwatch-executive', slug: 'bootwatch-executive' } as const;

/** How long each condition must hold: a scrape or two of a restarting collector is no ticket. */
const ForMs = 15 * 60_000;
/** A rollout half-way has two versions running about as many instances: hold before saying which. */
const OverdueForMs = 60 * 60_000;

const fixableCritical = `${PromMetric.imageVulnerabilities}{${PromLabel.severity}="critical", ${PromLabel.fixable}="true"}`;

export function scanRuleGroup(
  policy: ScanPolicy,
  links: AnnotationLinks,
  timeScale: number,
): RuleGroup {
  return {
    name: GroupName.scans,
    rules: [increasedAlert(links, timeScale), overdueAlert(policy, links, timeScale)],
  };
}

function dashboardUrl(links: AnnotationLinks): string {
  const base = `${links.grafanaUrl.replace(/\/+$/, '')}/d/${ExecutiveDashboard.uid}/${ExecutiveDashboard.slug}`;
  return `${base}?var-ami_version={{ $labels.ami_version | urlquery }}`;
}

function increasedAlert(links: AnnotationLinks, timeScale: number): AlertingRule {
  const v = PromLabel.amiVersion;
  const replaced = PromLabel.replacedVersion;
  const expr = [
    `max by (${v}) (${fixableCritical})`,
    `> on (${v}) group_left (${replaced})`,
    '(',
    `  max by (${v}, ${replaced}) (${PromMetric.imageReplaces})`,
    `  * on (${replaced}) group_left ()`,
    `  label_replace(max by (${v}) (${fixableCritical}), "${replaced}", "$1", "${v}", "(.*)")`,
    ')',
  ].join('\n');
  const before =
    `{{ with printf \`max(${PromMetric.imageVulnerabilities}{${v}=%q, ${PromLabel.severity}="critical", ` +
    `${PromLabel.fixable}="true"})\` $labels.${replaced} | query }}{{ . | first | value }}{{ end }}`;
  return {
    alert: AlertName.vulnerabilitiesIncreased,
    expr,
    for: scaledRange(ForMs, timeScale),
    labels: { severity: Severity.ticket },
    annotations: {
      summary:
        `AMI version {{ $labels.${v} }} has {{ $value }} fixable critical vulnerabilities, more ` +
        `than the ${before} of {{ $labels.${replaced} }}, the version it replaces`,
      description:
        `The latest scan of {{ $labels.${v} }} counts more fixable critical vulnerabilities than ` +
        `that of {{ $labels.${replaced} }}: the new image brought them in, or was baked without ` +
        'the fixes. Rebake with the fixed packages; `bootwatch scan gate --version ' +
        `{{ $labels.${v} }}\` says whether the scan policy lets it be promoted.`,
      runbook_url: `${links.runbookUrl}#bootwatchimagevulnerabilitiesincreased`,
      dashboard_url: dashboardUrl(links),
    },
  };
}

function overdueAlert(policy: ScanPolicy, links: AnnotationLinks, timeScale: number): AlertingRule {
  const v = PromLabel.amiVersion;
  const maxAge = scaledRange(policy.maxAgeMs, 1);
  const expr = [
    `topk(1, max by (${v}) (${PromMetric.imageInstancesRunning}{${v}!~"other|unknown"}))`,
    `unless on (${v})`,
    `(time() - max by (${v}) (${PromMetric.imageScanTimestamp}) <= ${promNumber(policy.maxAgeMs / 1000)})`,
  ].join('\n');
  const last =
    `{{ with printf \`time() - max(${PromMetric.imageScanTimestamp}{${v}=%q})\` $labels.${v} | query }}` +
    'last scanned {{ . | first | value | humanizeDuration }} ago{{ else }}never scanned{{ end }}';
  return {
    alert: AlertName.scanOverdue,
    expr,
    for: scaledRange(OverdueForMs, timeScale),
    labels: { severity: Severity.ticket },
    annotations: {
      summary: `AMI version {{ $labels.${v} }} runs the most instances ({{ $value }}) and has no scan in the last ${maxAge}`,
      description:
        `{{ $labels.${v} }}: ${last}. The scan policy wants one within ${maxAge} (scan_policy.max_age). ` +
        'Scan the AMI again and send the report (`bootwatch scan submit --ami <id> report.json`).',
      runbook_url: `${links.runbookUrl}#bootwatchimagescanoverdue`,
      dashboard_url: dashboardUrl(links),
    },
  };
}
