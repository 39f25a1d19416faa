// The Prometheus rule file format (https://prometheus.io/docs/prometheus/latest/configuration/
// recording_rules/) as types, and its deterministic YAML text: keys in the order Prometheus
// documents them, multi-line expressions as literal blocks, no timestamps. Same input, same bytes.
import { stringify } from 'yaml';

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  /** Prometheus duration, e.g. `15m`. */
  for?: string;
  /** How long the alert keeps firing once its expression stops returning it (Prometheus 2.42+). */
  keepFiringFor?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  /** Evaluation interval; the global one when absent. */
  interval?: string;
  rules: Rule[];
}

export interface RuleFile {
  /** Comment lines written above the YAML (without the leading `# `). */
  header: string[];
  groups: RuleGroup[];
}

export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}

/** Keys in a fixed order (the YAML library keeps insertion order). */
function ordered(rule: Rule): Record<string, unknown> {
  if (!isAlertingRule(rule)) {
    return {
      record: rule.record,
      expr: rule.expr,
      ...(rule.labels ? { labels: rule.labels } : {}),
    };
  }
  return {
    alert: rule.alert,
    expr: rule.expr,
    ...(rule.for ? { for: rule.for } : {}),
    ...(rule.keepFiringFor ? { keep_firing_for: rule.keepFiringFor } : {}),
    labels: rule.labels,
    annotations: rule.annotations,
  };
}

export function renderRuleFile(file: RuleFile): string {
  const groups = file.groups.map((g) => ({
    name: g.name,
    ...(g.interval ? { interval: g.interval } : {}),
    rules: g.rules.map(ordered),
  }));
  const body = stringify(
    { groups },
    {
      lineWidth: 0,
      blockQuote: 'literal',
      defaultStringType: 'PLAIN',
      indentSeq: true,
      aliasDuplicateObjects: false,
    },
  );
  const header = file.header.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
  return `${header}\n${body}`;
}
