// One boot record from the resource and data points of one OTLP resource (DESIGN.md, OTLP
// mapping). Pure: it returns the report or the problems, never throws. Everything comes from
// attributes and from the single observation of each histogram point, so a cumulative export
// repeated every interval rebuilds the very same record. What the report leaves out of the
// identity facts is filled in (resource-facts.ts); what breaks the contract of
// shared/boot-report.ts, schema or rules, is a problem and rejects the report.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  BootReportSchema,
  bootReportProblems,
  contractProblems,
  MaxBootSeconds,
  type BootReport,
} from '../../shared/boot-report.js';
import { MetricName, Phases, PointAttr, ResourceAttr } from '../../shared/conventions.js';
import { freeTextOf } from '../../shared/text.js';
import type { AttributeMap, OtlpMetric } from './otlp-model.js';
import { describe, factField, fieldProblem, textField, type KnownFacts } from './resource-facts.js';

/** The boot metrics of one resource, every data point of each name (any scope). */
export interface BootMetrics {
  timeToReady: OtlpMetric[];
  outcome: OtlpMetric[];
  phaseDuration: OtlpMetric[];
}

/** What the report is checked against besides itself. */
export interface RebuildContext {
  /** When the collector received it (its injected clock): the report's times are bounded by it. */
  receivedAtMs: number;
  /** The signed identity document's facts, for what the report leaves out; {} for a token caller. */
  known: KnownFacts;
}

export interface RebuiltBoot {
  /** Undefined when `problems` is not empty. */
  report: BootReport | undefined;
  problems: string[];
  /** Phase points left out of a valid report (unknown phase, not one observation), with why. */
  rejectedPhases: string[];
  /** What was stored otherwise than sent (a version `other` as `unknown`, a detail's NUL). */
  warnings: string[];
}

type Observed = { attributes: AttributeMap; value: number | undefined; count: number };

const KnownPhases: ReadonlySet<string> = new Set(Phases);

/** The same schema compiled: every report is checked on the ingest path, most of them valid. */
const validReport = TypeCompiler.Compile(BootReportSchema);

export function rebuildBoot(
  attrs: AttributeMap,
  metrics: BootMetrics,
  context: RebuildContext,
): RebuiltBoot {
  const problems: string[] = [];
  const warnings: string[] = [];
  const report: Record<string, unknown> = {};
  const { known } = context;
  const text = (field: string) => {
    const v = textField(attrs, field, problems);
    if (v !== undefined) report[field] = v;
  };
  for (const f of ['instanceId', 'bootId', 'launchedAt', 'kernelStartedAt', 'amiName', 'asg']) {
    text(f);
  }
  for (const f of ['amiId', 'amiVersion', 'region', 'instanceType'] as const) {
    report[f] = factField(attrs, f, known, problems, warnings);
  }
  for (const f of ['accountId', 'availabilityZone'] as const) {
    const v = textField(attrs, f, problems) ?? known[f];
    if (v !== undefined && v !== '') report[f] = v;
  }
  const detail = textField(attrs, 'failureDetail', problems);
  if (detail !== undefined) {
    report.failureDetail = freeTextOf(detail);
    if (report.failureDetail !== detail) {
      warnings.push(
        `${ResourceAttr.failureDetail}: control characters or lone surrogates stored as U+FFFD`,
      );
    }
  }

  const first = attrs[ResourceAttr.bootFirst];
  if (typeof first === 'boolean') report.firstBoot = first;
  else if (first === 'true' || first === 'false') report.firstBoot = first === 'true';
  else if (first !== undefined && first !== null) {
    problems.push(`${ResourceAttr.bootFirst}: expected a boolean, got ${describe(first)}`);
  }

  const ttr = singleObservation(MetricName.timeToReady, metrics.timeToReady, problems);
  if (ttr !== undefined) {
    report.timeToReadySeconds = ttr.value;
    report.outcome = ttr.attributes[PointAttr.outcome];
    report.reason = ttr.attributes[PointAttr.reason];
  }
  checkOutcomeCounter(metrics.outcome, report, problems);

  const phases: Record<string, number> = {};
  const rejectedPhases: string[] = [];
  for (const p of observations(MetricName.phaseDuration, metrics.phaseDuration, problems)) {
    const phase = p.attributes[PointAttr.phase];
    if (phase === undefined) {
      rejectedPhases.push(`a point without the ${PointAttr.phase} attribute`);
    } else if (typeof phase !== 'string' || !KnownPhases.has(phase)) {
      rejectedPhases.push(`unknown ${PointAttr.phase} ${describe(phase)}`);
    } else if (
      p.count !== 1 ||
      p.value === undefined ||
      !(p.value >= 0 && p.value <= MaxBootSeconds)
    ) {
      rejectedPhases.push(
        `phase ${phase}: expected one observation of 0 to ${MaxBootSeconds} s, got count ${p.count}${p.value === undefined ? '' : ` and ${p.value} s`}`,
      );
    } else if (phase in phases) {
      rejectedPhases.push(`phase ${phase}: reported twice`);
    } else {
      phases[phase] = p.value;
    }
  }
  report.phases = phases;

  // TypeBox reports a missing property twice ("Expected required property", "Expected string").
  const missing = new Set<string>();
  const schemaProblems = validReport.Check(report) ? [] : bootReportProblems(report);
  for (const problem of schemaProblems) {
    const path = problem.slice(0, problem.indexOf(': '));
    if (missing.has(path)) continue;
    if (problem.endsWith(': Expected required property')) missing.add(path);
    problems.push(explain(problem, report));
  }
  if (problems.length > 0) return { report: undefined, problems, rejectedPhases, warnings };
  const valid = report as BootReport;
  problems.push(
    ...contractProblems(valid, { receivedAtMs: context.receivedAtMs, decidedBy: 'agent' }),
  );
  return problems.length > 0
    ? { report: undefined, problems, rejectedPhases, warnings }
    : { report: valid, problems, rejectedPhases, warnings };
}

/** Non-empty observations of histogram metrics (a point with count 0 recorded nothing). */
function observations(name: string, metrics: OtlpMetric[], problems: string[]): Observed[] {
  const out: Observed[] = [];
  for (const m of metrics) {
    if (m.type !== 'histogram' && m.type !== 'exponential_histogram') {
      problems.push(`${name}: expected a histogram, got a ${m.type}`);
      continue;
    }
    for (const p of m.points) {
      // A histogram of negative values may omit sum; with one observation, min = max = the value.
      if (p.count > 0)
        out.push({ attributes: p.attributes, count: p.count, value: p.sum ?? p.min ?? p.max });
    }
  }
  return out;
}

function singleObservation(
  name: string,
  metrics: OtlpMetric[],
  problems: string[],
): { attributes: AttributeMap; value: number } | undefined {
  const points = observations(name, metrics, problems);
  if (points.length !== 1) {
    problems.push(
      `${name}: expected one data point with one observation, got ${points.length} data points`,
    );
    return undefined;
  }
  const p = points[0] as Observed;
  if (p.count !== 1 || p.value === undefined) {
    problems.push(
      `${name}: expected one observation, got count ${p.count}${p.value === undefined ? ' and no sum' : ''}`,
    );
    return undefined;
  }
  return { attributes: p.attributes, value: p.value };
}

/** The outcome counter repeats time_to_ready's outcome and reason; it fills them in or must agree. */
function checkOutcomeCounter(
  metrics: OtlpMetric[],
  report: Record<string, unknown>,
  problems: string[],
): void {
  for (const m of metrics) {
    if (m.type !== 'sum') {
      problems.push(`${MetricName.outcome}: expected a counter (sum), got a ${m.type}`);
      continue;
    }
    for (const p of m.points) {
      if (p.value === null || p.value <= 0) continue;
      for (const field of [PointAttr.outcome, PointAttr.reason] as const) {
        const said = p.attributes[field];
        if (report[field] === undefined) report[field] = said;
        else if (said !== report[field]) {
          problems.push(
            `${MetricName.outcome}: ${field} ${describe(said)} disagrees with ${MetricName.timeToReady} ${field} ${describe(report[field])}`,
          );
        }
      }
    }
  }
}

/** "/amiId: Expected required property" -> "host.image.id (amiId): Expected required property". */
function explain(problem: string, report: Record<string, unknown>): string {
  const match = /^\/(\w+)(\S*): (.*)$/.exec(problem);
  if (match === null) return problem;
  const [, field = '', rest = '', message = ''] = match;
  return fieldProblem(field, rest, message, report[field]);
}
