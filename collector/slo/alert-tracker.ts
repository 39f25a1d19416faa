// Which burn-rate alerts fire, since when, and which stopped: the state the Alertmanager push needs
// (Alertmanager wants firing alerts resent while they fire, and an endsAt when they resolve).
// One alert per firing tier, labelled like the generated Prometheus rules' alerts: alertname,
// severity, slo, window (the tier's windows, `1h/5m`) and the SLO's group labels; plus ami_version and
// asg, from the group's failing boots, when the SLO does not group by them (routing needs them).
//
// Hysteresis, as the generated rules' keep_firing_for (keepFiringForMs in alerts/alerting-rules.ts;
// test/alerts/engine-agreement.test.ts holds the two to the same timeline): an alert whose tier
// stops firing keeps firing, with its last annotations, until the tier has not fired for one short
// window; it resolves at the first evaluation at or past that, or fires on if the tier fires again
// before. Example, 1h/5m tier firing at 10:00, not at 10:05 and 10:06, again at 10:07: one alert,
// from 10:00 on. Not firing from 10:12 on: it resolves at 10:17.
import { formatDuration, parseDurationMs } from '../../shared/duration.js';
import type { GroupStatus, SloReport, SloStatus, TierStatus } from './report.js';

/** The generated rules' alert name (AlertName.budgetBurn in alerts/rule-names.ts; a test checks). */
export const SloAlertName = 'BootwatchErrorBudgetBurn';

export interface AlertInstance {
  /** Identity: slo, severity, window and group labels. */
  key: string;
  /** Fixed when the alert starts: a label that changed would make it another alert. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAtMs: number;
}

interface Tracked extends AlertInstance {
  /** How long it keeps firing once its tier stopped: the tier's short window. */
  keepMs: number;
  /** The first evaluation at which its tier did not fire; null while it fires. */
  quietSinceMs: number | null;
}

export interface ResolvedAlert extends AlertInstance {
  endsAtMs: number;
}

export interface AlertChanges {
  firing: AlertInstance[];
  started: AlertInstance[];
  resolved: ResolvedAlert[];
}

export class AlertTracker {
  private active = new Map<string, Tracked>();

  update(report: SloReport): AlertChanges {
    const now = report.evaluatedAtMs;
    const next = new Map<string, Tracked>();
    const started: AlertInstance[] = [];
    for (const slo of report.slos) {
      for (const group of slo.groups) {
        if (group.alert === 'none') continue;
        for (const tier of group.tiers) {
          if (!tier.firing) continue;
          const key = JSON.stringify([slo.name, tier.severity, tier.longWindow, group.labels]);
          if (next.has(key)) continue;
          const annotations = annotate(slo, group, tier);
          const seen = this.active.get(key);
          const alert: Tracked = seen
            ? { ...seen, annotations, quietSinceMs: null }
            : {
                key,
                labels: labelsOf(slo, group, tier),
                annotations,
                startsAtMs: now,
                keepMs: parseDurationMs(tier.shortWindow, 'shortWindow'),
                quietSinceMs: null,
              };
          if (!seen) started.push(instance(alert));
          next.set(key, alert);
        }
      }
    }
    const resolved: ResolvedAlert[] = [];
    for (const a of this.active.values()) {
      if (next.has(a.key)) continue;
      const quietSinceMs = a.quietSinceMs ?? now;
      if (now - quietSinceMs < a.keepMs) next.set(a.key, { ...a, quietSinceMs });
      else resolved.push({ ...instance(a), endsAtMs: now });
    }
    this.active = next;
    return { firing: [...next.values()].map(instance), started, resolved };
  }
}

function instance(a: Tracked): AlertInstance {
  return { key: a.key, labels: a.labels, annotations: a.annotations, startsAtMs: a.startsAtMs };
}

function labelsOf(slo: SloStatus, group: GroupStatus, tier: TierStatus): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: SloAlertName,
    severity: tier.severity,
    slo: slo.name,
    // As the generated rules label a tier (tierWindow in alerts/recording-rules.ts): long/short.
    window: `${tier.longWindow}/${tier.shortWindow}`,
  };
  const from = group.failingIn;
  if (from && !('ami_version' in group.labels) && from.amiVersions.length > 0) {
    labels.ami_version = from.amiVersions.join(',');
  }
  if (from && !('asg' in group.labels) && from.asgs.length > 0) labels.asg = from.asgs.join(',');
  // Alertmanager rejects empty label values: a boot without an Auto Scaling group has asg ''.
  for (const [name, value] of Object.entries(group.labels)) if (value !== '') labels[name] = value;
  return labels;
}

function annotate(slo: SloStatus, group: GroupStatus, tier: TierStatus): Record<string, string> {
  const long = group.windows.find((w) => w.window === tier.longWindow);
  const short = group.windows.find((w) => w.window === tier.shortWindow);
  const where = Object.entries(group.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const x = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(1)}x`);
  const remaining = group.budget.remaining;
  const lines = [
    `${long?.errors ?? 0} of ${fmt(long?.events ?? 0)} events bad in the last ${tier.longWindow} ` +
      `(burn ${x(tier.longBurnRate)}), ${short?.errors ?? 0} of ${fmt(short?.events ?? 0)} in the last ` +
      `${tier.shortWindow} (burn ${x(tier.shortBurnRate)}); threshold ${tier.factor}x.`,
    `Objective ${percent(slo.objective)} over ${formatDuration(slo.windowMs)}; error budget remaining ` +
      `${remaining === null ? 'n/a' : percent(remaining)}.`,
  ];
  if (tier.trust === 'confidence') {
    lines.push(
      `Fewer than ${tier.minEvents} events in ${tier.longWindow}: fired because the Wilson lower ` +
        `bound of the error ratio over ${tier.evidenceWindow} (${tier.wilsonLower.toFixed(4)}) exceeds ${tier.thresholdRatio.toFixed(4)}.`,
    );
  }
  return {
    summary: `${slo.name}${where ? ` (${where})` : ''} burns its error budget at ${x(tier.longBurnRate)} over ${tier.longWindow}`,
    description: lines.join(' '),
  };
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(3))}%`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
