// Validation on the model, once, whatever format an SLO came from, and the only one: `slo
// validate`, the collector's engine and the rule and dashboard generators all rely on it, so that
// a file one of them accepts none of them refuses. It holds the rules that relate fields (a
// threshold only for time_to_ready, tier windows inside the SLO window, unique names) and what the
// consumers need of an SLO (a threshold on a histogram bound, group labels the histogram has, an
// SLO window of whole hours). Field shapes (a number, a duration) are the parsers' business; they
// have the raw text to show.
import { TimeToReadyBuckets } from '../conventions.js';
import { formatDuration } from '../duration.js';
import { BootwatchError } from '../errors.js';
import { isFleetWide, type SloDraft, type SloField } from './draft.js';
import { TimeToReadyGroupBy, type Slo } from './model.js';

const MinuteMs = 60_000;
const HourMs = 3_600_000;
const NamePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Problems as `file:line: path.field: message`; empty when every SLO is valid. */
export function validateDrafts(drafts: readonly SloDraft[]): string[] {
  const problems: string[] = [];
  const firstByName = new Map<string, SloDraft>();
  for (const d of drafts) {
    const say: Say = (field, key, message, tier) => {
      const at = (tier !== undefined ? d.tierAt?.[tier] : undefined) ?? d.at[field];
      const path =
        tier !== undefined
          ? `${d.tierPaths?.[tier] ?? `${d.path}.alerting.tiers[${tier}]`}${key}`
          : `${d.path}.${key}`;
      problems.push(`${at ?? d.at.slo ?? d.slo.source}: ${path}: ${message}`);
    };
    if (d.clean) checkSlo(d.slo, say);
    const first = firstByName.get(d.slo.name);
    if (first && d.slo.name !== '') {
      say('name', 'name', `'${d.slo.name}' is already the name of the SLO at ${first.at.slo}`);
    } else {
      firstByName.set(d.slo.name, d);
    }
  }
  return problems;
}

/** The same rules for SLOs built in code (the defaults, tests): located by their source. */
export function validateSlos(slos: readonly Slo[]): string[] {
  return validateDrafts(
    slos.map((slo) => ({
      slo,
      path: slo.name,
      at: { slo: slo.source },
      tierSpecs: slo.tiers,
      clean: true,
    })),
  );
}

/**
 * Throws BW_SLO_INVALID listing every problem of `slos`: what a consumer given SLOs in code (not
 * through loadSlos, which has validated them already) calls before it uses them.
 */
export function assertValidSlos(slos: readonly Slo[]): void {
  const problems = validateSlos(slos);
  if (problems.length === 0) return;
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new BootwatchError('BW_SLO_INVALID', `SLOs: ${count}:\n  ${problems.join('\n  ')}`);
}

/**
 * Reports a problem at a field's line. With `tier`, at the tier's line, and `key` is what follows
 * the tier's path (`''`, `.budget_consumed`).
 */
type Say = (field: SloField, key: string, message: string, tier?: number) => void;

function checkSlo(slo: Slo, say: Say): void {
  if (slo.name !== '' && !NamePattern.test(slo.name)) {
    say(
      'name',
      'name',
      `expected lowercase letters, digits, '-' or '_' (at most 63, starting with a letter or digit), got '${slo.name}'`,
    );
  }
  if (slo.sli === 'time_to_ready') {
    if (slo.thresholdSeconds === null) {
      say('sli', 'threshold', 'time_to_ready needs a threshold such as 120s');
    } else if (!(TimeToReadyBuckets as readonly number[]).includes(slo.thresholdSeconds)) {
      say(
        'threshold',
        'threshold',
        `expected one of the histogram bounds (${TimeToReadyBuckets.map((b) => `${b}s`).join(', ')}) so that "ready within" is an exact count, got ${slo.thresholdSeconds}s`,
      );
    }
    const outside = slo.groupBy.filter((l) => !TimeToReadyGroupBy.includes(l));
    if (outside.length > 0) {
      say(
        'groupBy',
        'group_by',
        `time_to_ready groups by the labels of the time-to-ready histogram, which the generated Prometheus rules read: expected some of [${TimeToReadyGroupBy.join(', ')}], got [${slo.groupBy.join(', ')}] (${outside.join(', ')} is not one)`,
      );
    }
  } else if (slo.thresholdSeconds !== null) {
    say('threshold', 'threshold', `applies to time_to_ready only, not to ${slo.sli}`);
  }
  if (!(slo.objective > 0 && slo.objective < 1)) {
    say('objective', 'objective', `expected a ratio between 0 and 1, got ${slo.objective}`);
  }
  checkWindows(slo, say);
  if (isFleetWide(slo.sli) && slo.groupBy.length > 0) {
    say(
      'groupBy',
      'group_by',
      `${slo.sli} is measured fleet-wide (${slo.sli === 'rollout_success' ? 'rollouts span groups and versions' : 'instances running and heartbeating are not kept per group'}): expected [], got [${slo.groupBy.join(', ')}]`,
    );
  }
  const seen = new Set<string>();
  for (const label of slo.groupBy) {
    if (seen.has(label)) say('groupBy', 'group_by', `'${label}' is listed twice`);
    seen.add(label);
  }
  if (slo.sparse && !(slo.sparse.z > 0 && slo.sparse.z <= 10)) {
    say(
      'sparse',
      'alerting.sparse.z',
      `expected a number above 0 and at most 10, got ${slo.sparse.z}`,
    );
  }
  const evidence = slo.sparse?.evidenceWindowMs;
  if (
    evidence !== undefined &&
    !(evidence > 0 && evidence % MinuteMs === 0 && evidence <= slo.windowMs)
  ) {
    say(
      'sparse',
      'alerting.sparse.evidence_window',
      `expected whole minutes, at most the SLO window (${formatDuration(slo.windowMs)}), got ${formatDuration(evidence)}`,
    );
  }
}

function checkWindows(slo: Slo, say: Say): void {
  const w = formatDuration;
  // The generated rules sum the SLO window from one-hour increases (alerts/rule-windows.ts): a
  // window of 90m would sum one or two of them depending on the hour, never 90 minutes.
  if (!(slo.windowMs >= HourMs) || slo.windowMs % HourMs !== 0) {
    say(
      'window',
      'window',
      `expected whole hours and at least 1h (the budget is summed from 1h slices), got ${w(slo.windowMs)}`,
    );
    return;
  }
  const seen = new Map<string, number>();
  slo.tiers.forEach((t, i) => {
    const same = `${t.severity} ${t.longWindowMs}/${t.shortWindowMs}`;
    const first = seen.get(same);
    if (first !== undefined) {
      // Both would record the same threshold series (severity and windows are its labels).
      say(
        'tiers',
        '',
        `expected one tier per severity and pair of windows, got a second ${t.severity} ${w(t.longWindowMs)}/${w(t.shortWindowMs)} (the same as tier ${first}, counting from 0)`,
        i,
      );
    }
    seen.set(same, first ?? i);
    if (
      t.longWindowMs % MinuteMs !== 0 ||
      t.shortWindowMs % MinuteMs !== 0 ||
      t.shortWindowMs <= 0
    ) {
      say(
        'tiers',
        '',
        `expected windows of whole minutes, got ${w(t.longWindowMs)}/${w(t.shortWindowMs)}`,
        i,
      );
    } else if (t.shortWindowMs >= t.longWindowMs) {
      say(
        'tiers',
        '',
        `expected short_window (${w(t.shortWindowMs)}) shorter than long_window (${w(t.longWindowMs)})`,
        i,
      );
    } else if (t.longWindowMs >= slo.windowMs) {
      say(
        'tiers',
        '',
        `expected long_window (${w(t.longWindowMs)}) shorter than the SLO window (${w(slo.windowMs)})`,
        i,
      );
    }
    if (!(t.budgetConsumed > 0 && t.budgetConsumed <= 1)) {
      say(
        'tiers',
        '.budget_consumed',
        `expected a share of the budget in (0, 1], got ${t.budgetConsumed}`,
        i,
      );
    }
  });
}
