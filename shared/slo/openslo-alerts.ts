// OpenSLO v1 alert policies of an SLO mapped onto bootwatch's alerting tiers. An SLO's
// `spec.alertPolicies` lists policies inline or by `alertPolicyRef`; each policy holds one
// `AlertCondition` (inline or by `conditionRef`) of kind `burnrate`:
//
//   kind: AlertCondition                     bootwatch tier
//   spec:
//     severity: page                    ->   severity: page        (page or ticket)
//     condition:
//       kind: burnrate
//       op: gt                          ->   fires above the factor (gt only)
//       threshold: 14.4                 ->   factor 14.4
//       lookbackWindow: 1h              ->   long window 1h
//                                            short window 5m = lookbackWindow / 12
//       alertAfter: 0m                  ->   (0 only: a tier fires at once)
//
// The tier's share of the budget follows from the threshold: budget_consumed = threshold x
// lookbackWindow / SLO window; over 30 days, 14.4 x 1h / 720h = 2%, the SRE Workbook's first page
// tier. The short window is the Workbook's 1/12 of the long one (the default tiers: 1h/5m, 6h/30m,
// 1d/2h, 3d/6h): it stops the alert soon after the burn stops. What bootwatch cannot honour is a
// problem on its line: another op, a severity other than page or ticket, alertAfter above 0 (an
// alert must hold for a while: bootwatch has no such delay, the short window is what keeps a spike
// from paging), alertWhenNoData (a quiet fleet is not an incident). Notification targets are
// Alertmanager's business: a note says so.
import type { YAMLMap } from 'yaml';
import { formatDuration } from '../duration.js';
import type { TierSpec } from './tiers.js';
import { resolveRef, type OpenSloObjects } from './openslo-objects.js';
import { shown, type Field, type SpecReader } from './yaml-reader.js';

const MinuteMs = 60_000;
/** The short window is this fraction of the long one (SRE Workbook, chapter 5). */
const ShortWindowDivisor = 12;

export interface PolicyTiers {
  tierSpecs: TierSpec[];
  tierAt: string[];
  tierPaths: string[];
  /** `file:line` of spec.alertPolicies. */
  at: string;
}

/**
 * The tiers of an SLO's alert policies; null when it has none (the default tiers apply) or when
 * they have problems (reported). `sloWindowMs` is the SLO window, which each threshold is a
 * share of.
 */
export function readAlertPolicies(
  r: SpecReader,
  spec: YAMLMap,
  objects: OpenSloObjects,
  sloWindowMs: number,
): PolicyTiers | null {
  const field = r.get(spec, 'alertPolicies', 'spec');
  const seq = field ? r.seq(field) : null;
  if (!field || !seq) return null;
  const before = r.problems.length;
  const out: PolicyTiers = { tierSpecs: [], tierAt: [], tierPaths: [], at: field.at };
  for (const item of r.items(seq, field.path)) {
    const policy = policySpec(r, item, objects);
    if (!policy) continue;
    const condition = readPolicy(r, policy.map, policy.path, objects);
    if (!condition) continue;
    const tier = readCondition(r, condition.map, condition.path, sloWindowMs);
    if (!tier) continue;
    out.tierSpecs.push(tier);
    out.tierAt.push(condition.at);
    out.tierPaths.push(condition.path);
  }
  if (seq.items.length === 0)
    r.problem(field.at, field.path, 'expected at least one alert policy, got none');
  return r.problems.length === before ? out : null;
}

interface Located {
  map: YAMLMap;
  /** Path of the spec, for messages: `AlertPolicy fast.spec`, `spec.alertPolicies[0].spec`. */
  path: string;
  at: string;
}

/** An item of a list that either refers to a document (`refKey`) or holds it inline. */
function inlineOrRef(
  r: SpecReader,
  item: Field,
  refKey: string,
  kind: 'AlertPolicy' | 'AlertCondition' | 'AlertNotificationTarget',
  objects: OpenSloObjects,
): Located | null {
  const map = r.map(item);
  if (!map) return null;
  const ref = r.get(map, refKey, item.path);
  if (ref) {
    r.onlyKeys(map, item.path, [refKey]);
    const doc = resolveRef(r, ref, kind, objects);
    return doc ? { map: doc.map, path: `${kind} ${String(ref.value)}.spec`, at: doc.at } : null;
  }
  r.onlyKeys(map, item.path, ['kind', 'metadata', 'spec']);
  const kindField = r.get(map, 'kind', item.path);
  if (kindField?.value !== kind) {
    r.problem(
      kindField?.at ?? item.at,
      kindField?.path ?? item.path,
      `expected ${refKey} or an inline kind: ${kind}, got ${shown(kindField?.value)}`,
    );
    return null;
  }
  const specField = r.required(map, 'spec', item.path);
  const spec = specField ? r.map(specField) : null;
  return spec && specField ? { map: spec, path: specField.path, at: item.at } : null;
}

function policySpec(r: SpecReader, item: Field, objects: OpenSloObjects): Located | null {
  return inlineOrRef(r, item, 'alertPolicyRef', 'AlertPolicy', objects);
}

/** The one condition of a policy, after the policy's flags and targets are checked. */
function readPolicy(
  r: SpecReader,
  policy: YAMLMap,
  path: string,
  objects: OpenSloObjects,
): Located | null {
  r.onlyKeys(policy, path, [
    'description',
    'alertWhenNoData',
    'alertWhenResolved',
    'alertWhenBreaching',
    'conditions',
    'notificationTargets',
  ]);
  const breaching = r.get(policy, 'alertWhenBreaching', path);
  if (breaching && breaching.value !== true) {
    r.problem(
      breaching.at,
      breaching.path,
      `expected true (a bootwatch tier alerts while its condition breaches), got ${shown(breaching.value)}`,
    );
  }
  const noData = r.get(policy, 'alertWhenNoData', path);
  if (noData && noData.value !== false) {
    r.problem(
      noData.at,
      noData.path,
      'expected false: bootwatch does not alert on an SLO without events (a quiet fleet is not an ' +
        `incident; BootwatchNoData fires when Prometheus scrapes no collector at all), got ${shown(noData.value)}`,
    );
  }
  const resolved = r.get(policy, 'alertWhenResolved', path);
  if (resolved && resolved.value === false) {
    r.note(
      resolved.at,
      resolved.path,
      'bootwatch always ends its alerts when they resolve; to send no notification for it, set ' +
        'send_resolved: false on the Alertmanager receiver',
    );
  }
  readTargets(r, policy, path, objects);
  const conditions = r.required(policy, 'conditions', path);
  const seq = conditions ? r.seq(conditions) : null;
  if (!conditions || !seq) return null;
  const items = r.items(seq, conditions.path);
  // Each is read even when there are several, so that what they refer to counts as used.
  const read = items.map((item) => inlineOrRef(r, item, 'conditionRef', 'AlertCondition', objects));
  if (items.length !== 1) {
    r.problem(
      conditions.at,
      conditions.path,
      `expected exactly one condition (OpenSLO v1 allows one per policy), got ${items.length}`,
    );
    return null;
  }
  return read[0]!;
}

/** Targets must exist; whom to notify is Alertmanager's routing, which the note says. */
function readTargets(r: SpecReader, policy: YAMLMap, path: string, objects: OpenSloObjects): void {
  const targets = r.get(policy, 'notificationTargets', path);
  const seq = targets ? r.seq(targets) : null;
  if (!targets || !seq) return;
  const names: string[] = [];
  for (const item of r.items(seq, targets.path)) {
    const target = inlineOrRef(r, item, 'targetRef', 'AlertNotificationTarget', objects);
    if (target) names.push(target.path.replace(/^AlertNotificationTarget (.*)\.spec$/, '$1'));
  }
  if (names.length > 0) {
    r.note(
      targets.at,
      targets.path,
      `bootwatch does not notify anyone itself: its alerts reach Alertmanager with the labels ` +
        `severity and slo; route them to ${names.join(', ')} there (alerts/alertmanager.yml)`,
    );
  }
}

/** An AlertCondition's spec as a tier, or null (with problems). */
function readCondition(
  r: SpecReader,
  spec: YAMLMap,
  path: string,
  sloWindowMs: number,
): TierSpec | null {
  r.onlyKeys(spec, path, ['description', 'severity', 'condition']);
  const severityField = r.required(spec, 'severity', path);
  const severity = severityField ? r.oneOf(severityField, ['page', 'ticket'] as const) : null;
  const conditionField = r.required(spec, 'condition', path);
  const c = conditionField ? r.map(conditionField) : null;
  if (!c || !conditionField) return null;
  const at = conditionField.path;
  r.onlyKeys(c, at, ['kind', 'op', 'threshold', 'lookbackWindow', 'alertAfter']);
  const kind = r.get(c, 'kind', at);
  if (kind && kind.value !== 'burnrate') {
    r.problem(
      kind.at,
      kind.path,
      `expected burnrate (the kind bootwatch maps onto its tiers), got ${shown(kind.value)}`,
    );
  }
  const op = r.get(c, 'op', at);
  if (op && op.value !== 'gt') {
    r.problem(
      op.at,
      op.path,
      `expected gt (a bootwatch tier fires when the burn rate is above its threshold), got ${shown(op.value)}`,
    );
  }
  const after = r.get(c, 'alertAfter', at);
  const afterMs = after ? r.duration(after) : 0;
  if (after && afterMs !== null && afterMs !== 0) {
    r.problem(
      after.at,
      after.path,
      'expected 0m: a bootwatch tier fires as soon as both its windows burn above the threshold, ' +
        `and its short window (lookbackWindow / ${ShortWindowDivisor}) is what keeps a brief spike from alerting; got ${shown(after.value)}`,
    );
  }
  const thresholdField = r.required(c, 'threshold', at);
  const threshold = thresholdField ? r.number(thresholdField) : null;
  const lookbackField = r.required(c, 'lookbackWindow', at);
  const longMs = lookbackField ? r.duration(lookbackField) : null;
  if (
    longMs !== null &&
    lookbackField &&
    !(longMs > 0 && longMs % (ShortWindowDivisor * MinuteMs) === 0)
  ) {
    r.problem(
      lookbackField.at,
      lookbackField.path,
      `expected a multiple of ${ShortWindowDivisor} minutes (the short window, lookbackWindow / ${ShortWindowDivisor}, is whole minutes), got ${shown(lookbackField.value)}`,
    );
    return null;
  }
  if (longMs !== null && lookbackField && longMs >= sloWindowMs) {
    r.problem(
      lookbackField.at,
      lookbackField.path,
      `expected a window shorter than the SLO window (${formatDuration(sloWindowMs)}), got ${shown(lookbackField.value)}`,
    );
    return null;
  }
  if (threshold === null || longMs === null || severity === null || !thresholdField) return null;
  // The share of the SLO window's budget the tier may spend in its long window (tiers.ts).
  const budgetConsumed = (threshold * longMs) / sloWindowMs;
  if (!(threshold > 0 && budgetConsumed <= 1)) {
    r.problem(
      thresholdField.at,
      thresholdField.path,
      `expected a burn rate above 0 and at most ${Number((sloWindowMs / longMs).toPrecision(4))} ` +
        `(over ${formatDuration(longMs)} it would spend more than the whole ${formatDuration(sloWindowMs)} error budget), got ${threshold}`,
    );
    return null;
  }
  return {
    severity,
    longWindowMs: longMs,
    shortWindowMs: longMs / ShortWindowDivisor,
    budgetConsumed,
  };
}
