// The text fields of a boot report or a heartbeat, read from its resource attributes. Without IMDS
// an agent knows no AMI id, region or instance type (and without a manifest no version), and it
// leaves them out; the boot is still a boot of this machine, keyed by host.id and boot id. So a
// fact that is absent, blank, or says `unknown` or `other` (the names labels fold into) becomes the
// signed identity document's value when the caller sent one (the document is the truth), else
// `unknown`, visibly (DESIGN.md, AMI version: "else unknown; never guessed"). Pure.
import { saysUnknown, type BootReport } from '../../shared/boot-report.js';
import { MetricName, PointAttr, ResourceAttr, UnknownFact } from '../../shared/conventions.js';
import { printableProblem, TextFormat } from '../../shared/text.js';
import type { AttributeMap } from './otlp-model.js';

/** Report fields the signed identity document carries too. */
export type KnownFacts = Partial<
  Pick<BootReport, 'amiId' | 'region' | 'instanceType' | 'accountId' | 'availabilityZone'>
>;

/** The facts that are never absent from a stored boot: `unknown` when not known. */
export type Fact = 'amiId' | 'amiVersion' | 'region' | 'instanceType';

/** Where each report field comes from, to say so when it is wrong. */
export const FieldSource: Record<string, string> = {
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

/**
 * A text field: a string, or a finite number written as text (a version 2024 sent as an int).
 * Undefined when absent, null or empty; anything else is a problem.
 */
export function textField(
  attrs: AttributeMap,
  field: string,
  problems: string[],
): string | undefined {
  const key = FieldSource[field] as string;
  const v = attrs[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  problems.push(`${key}: expected a string, got ${describe(v)}`);
  return undefined;
}

/**
 * A fact: what the resource says, unless it says nothing (saysUnknown); then the identity
 * document's value, else `unknown`. A value that looked like one but was not (`other`, blank,
 * `Unknown`) is named in `warnings`.
 */
export function factField(
  attrs: AttributeMap,
  field: Fact,
  known: KnownFacts,
  problems: string[],
  warnings: string[],
): string {
  const sent = textField(attrs, field, problems);
  if (!saysUnknown(sent)) return sent as string;
  const fallback = (field === 'amiVersion' ? undefined : known[field]) ?? UnknownFact;
  if (sent !== undefined && sent !== UnknownFact) {
    warnings.push(
      `${FieldSource[field]} ${describe(sent)} names no ${field === 'amiVersion' ? 'version' : 'value'} (blank, or a name labels fold into); stored as ${describe(fallback)}`,
    );
  }
  return fallback;
}

/**
 * A schema problem of one field in words: where it came from, what is wrong, what was sent.
 * `amiVersion`, "Expected string to match 'bootwatch-printable' format", "v1\u0000" ->
 * `host.image.version (amiVersion): contains a control character (got "v1\u0000")`.
 */
export function fieldProblem(field: string, rest: string, message: string, value: unknown): string {
  const source = FieldSource[field];
  const got = value === undefined || typeof value === 'object' ? '' : ` (got ${describe(value)})`;
  const unprintable = typeof value === 'string' ? printableProblem(value) : null;
  const said = message.includes(`'${TextFormat.printable}' format`) && unprintable !== null;
  const where = source === undefined ? `${field}${rest}` : `${source} (${field}${rest})`;
  return `${where}: ${said ? unprintable : message}${got}`;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : v instanceof Uint8Array ? 'bytes' : 'a map';
}
