// One boot record from the resource and data points of one OTLP resource (DESIGN.md, OTLP
// mapping). Pure: it returns the report or the problems, never throws. Everything comes from
// attributes and from the single observation of each histogram point, so a cumulative export
// repeated every interval rebuilds the very same record.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BootReportSchema, bootReportProblems, type BootReport } from '../../shared/boot-report.js';
import { MetricName, Phases, PointAttr, ResourceAttr } from '../../shared/conventions.js';
import type { AttributeMap, OtlpMetric } from './otlp-model.js';

/** The boot metrics of one resource, every data point of each name (any scope). */
export interface BootMetrics {
  timeToReady: OtlpMetric[];
  outcome: OtlpMetric[];
  phaseDuration: OtlpMetric[];
}

export interface RebuiltBoot {
  /** Undefined when `problems` is not empty. */
  report: BootReport | undefined;
  problems: string[];
  /** Phase points left out of a valid report (unknown phase, not one observation), with why. */
  rejectedPhases: string[];
}

type Observed = { attributes: AttributeMap; value: number | undefined; count: number };

/** Where each field comes from, to say so when it is wrong. */
const Source: Record<string, string> = {
  instanceId: ResourceAttr.hostId,
  bootId: ResourceAttr.bootId,
  firstBoot: ResourceAttr.bootFirst,
  launchedAt: ResourceAttr.bootLaunchedAt,
  kernelStartedAt: ResourceAttr.bootKernelStartedAt,
  amiId: ResourceAttr.imageId,
  amiName: ResourceAttr.imageName,
  amiVersion: ResourceAttr.imageVersion,
  accountId: ResourceAttr.cloudAccount,
  region: ResourceAttr.cloudRegion,
  availabilityZone: ResourceAttr.cloudZone,
  instanceType: ResourceAttr.hostType,
  asg: ResourceAttr.asgName,
  failureDetail: ResourceAttr.failureDetail,
  outcome: `${MetricName.timeToReady} attribute ${PointAttr.outcome}`,
  reason: `${MetricName.timeToReady} attribute ${PointAttr.reason}`,
  timeToReadySeconds: MetricName.timeToReady,
  phases: MetricName.phaseDuration,
};

const KnownPhases: ReadonlySet<string> = new Set(Phases);

/** The same schema compiled: every report is checked on the ingest path, most of them valid. */
const validReport = TypeCompiler.Compile(BootReportSchema);

export function rebuildBoot(attrs: AttributeMap, metrics: BootMetrics): RebuiltBoot {
  const problems: string[] = [];
  const report: Record<string, unknown> = {};
  const text = (field: string, required: boolean) => {
    const key = Source[field] as string;
    const v = attrs[key];
    if (v === undefined || v === null || (v === '' && !required)) return;
    if (typeof v === 'string') report[field] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) report[field] = String(v);
    else problems.push(`${key}: expected a string, got ${describe(v)}`);
  };
  for (const f of ['instanceId', 'bootId', 'launchedAt', 'amiId', 'amiVersion', 'region']) {
    text(f, true);
  }
  text('instanceType', true);
  for (const f of ['kernelStartedAt', 'amiName', 'accountId', 'availabilityZone', 'asg']) {
    text(f, false);
  }
  text('failureDetail', false);

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
    } else if (p.count !== 1 || p.value === undefined || !(p.value >= 0)) {
      rejectedPhases.push(
        `phase ${phase}: expected one observation of at least 0 s, got count ${p.count}`,
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
  return problems.length > 0
    ? { report: undefined, problems, rejectedPhases }
    : { report: report as BootReport, problems, rejectedPhases };
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
  const source = Source[field];
  const value = report[field];
  const got = value === undefined || typeof value === 'object' ? '' : ` (got ${describe(value)})`;
  return `${source === undefined ? field : `${source} (${field}${rest})`}: ${message}${got}`;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : v instanceof Uint8Array ? 'bytes' : 'a map';
}
