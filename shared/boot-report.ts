// The boot report: one record per boot, built by the agent, carried as OTLP metrics, rebuilt by the
// collector from the data points of one resource. This file is the contract, in one place:
//   - the schema (shapes, lengths, printable text, real dates), from which the type is derived;
//   - the rules between fields that a schema cannot say (contractProblems): outcome and reason,
//     who may decide which reason, and how far the report's times may lie from the moment the
//     collector received it.
// The agent checks its spool against the schema; the collector checks every report it rebuilt
// against both, and stores nothing that breaks either.
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  AgentReasons,
  CollectorReasons,
  OtherLabelValue,
  Outcomes,
  Phases,
  Reasons,
  SuccessReason,
  UnknownVersion,
} from './conventions.js';
import { formatDuration, parseDurationMs } from './duration.js';
import { instantText, rfc3339Ms } from './rfc3339.js';
import { isBlank, TextFormat } from './text.js';

// RFC 3339 with a zone, every field in range: 2026-02-30 is no date (Date.parse would make it
// March 2). The image manifest's built_at uses the same format name.
FormatRegistry.Set('date-time', (v) => rfc3339Ms(v) !== null);

const Literals = <T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v)));

/** An id or a label: printable (shared/text.ts). */
const Label = (minLength: number, maxLength: number) =>
  Type.String({ minLength, maxLength, format: TextFormat.printable });
const Instant = Type.String({ format: 'date-time', maxLength: 40 });

/**
 * The longest a boot may take, or any of its phases: far above any deadline (600 s by default),
 * and a bound that keeps sums of seconds finite (a phase of 1e308 s overflowed them).
 */
export const MaxBootSeconds = 31 * 24 * 3600;
const Seconds = Type.Number({ minimum: 0, maximum: MaxBootSeconds });

export const BootReportSchema = Type.Object(
  {
    /** EC2 instance id (host.id). */
    instanceId: Label(1, 64),
    /** /proc/sys/kernel/random/boot_id. */
    bootId: Label(1, 64),
    /** The first boot after launch (counted by SLIs) or a reboot (recorded, shown, not counted). */
    firstBoot: Type.Boolean(),
    /** RFC 3339: pendingTime of the identity document; the kernel's boot time for a reboot. */
    launchedAt: Instant,
    /** RFC 3339: btime of /proc/stat. */
    kernelStartedAt: Type.Optional(Instant),
    /** `unknown` (or, in an agent's own record, '') when neither IMDS nor the manifest said. */
    amiId: Label(0, 64),
    amiName: Type.Optional(Label(0, 256)),
    amiVersion: Label(1, 128),
    accountId: Type.Optional(Label(0, 32)),
    /** `unknown` (or, in an agent's own record, '') without IMDS; likewise instanceType. */
    region: Label(0, 32),
    availabilityZone: Type.Optional(Label(0, 32)),
    instanceType: Label(0, 64),
    asg: Type.Optional(Label(0, 256)),
    outcome: Literals(Outcomes),
    reason: Literals(Reasons),
    /**
     * Seconds from launchedAt to ready (success) or to the moment the failure was decided.
     * outcome time = launchedAt + timeToReadySeconds.
     */
    timeToReadySeconds: Seconds,
    /** Seconds spent in each phase that happened (see Phases in conventions.ts). */
    phases: Type.Partial(
      Type.Object(
        Object.fromEntries(Phases.map((p) => [p, Seconds])) as Record<
          (typeof Phases)[number],
          typeof Seconds
        >,
      ),
    ),
    /**
     * Free text (a cloud-init error, the probe that timed out). The collector stores it as free
     * text (freeTextOf): a failure must count whatever bytes its message held.
     */
    failureDetail: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export type BootReport = Static<typeof BootReportSchema>;

/** The moment the boot's outcome was decided, in epoch milliseconds (see DESIGN.md, Time). */
export function outcomeTimeMs(
  report: Pick<BootReport, 'launchedAt' | 'timeToReadySeconds'>,
): number {
  return Date.parse(report.launchedAt) + Math.round(report.timeToReadySeconds * 1000);
}

/** Validation problems as `path: message` strings; empty when the report is valid. */
export function bootReportProblems(value: unknown): string[] {
  return [...Value.Errors(BootReportSchema, value)].map((e) => `${e.path || '/'}: ${e.message}`);
}

/**
 * Where a report's (and a heartbeat's) times may lie, around R, the moment the collector received
 * it (its injected clock):
 * - not after R + 5 minutes: the outcome time (launchedAt + timeToReady), kernelStartedAt, a
 *   heartbeat's time. An agent reports after the outcome, so a later time is the instance's clock
 *   running ahead of the collector's; EC2 instances sync to the Amazon Time Sync Service within
 *   seconds of boot, and 5 minutes is Kerberos' tolerance. A boot counted in a minute that has not
 *   happened yet would move SLO windows the engine believes settled.
 * - not before 2006-08-25, the day EC2 opened: nothing booted on it before, so 1970 or 2001 is a
 *   clock that was never set. No bound relative to R: a report waits in the agent's spool while
 *   the collector is down, an instance stopped before it could send sends it when started again,
 *   months later, and an old report lands in the minute it belongs to, harmlessly.
 */
export const ReportTimeBounds = {
  earliestMs: Date.UTC(2006, 7, 25),
  aheadMs: parseDurationMs('5m'),
} as const;

/** Why an instant of a report or a heartbeat cannot be true (ReportTimeBounds), or null. */
export function instantProblem(what: string, ms: number, receivedAtMs: number): string | null {
  const { earliestMs, aheadMs } = ReportTimeBounds;
  if (!(ms >= earliestMs)) {
    return `${what} ${instantText(ms)} is before ${instantText(earliestMs).slice(0, 10)}, when EC2 opened: a clock that was never set`;
  }
  if (!(ms <= receivedAtMs + aheadMs)) {
    return `${what} ${instantText(ms)} is more than ${formatDuration(aheadMs)} after it was received (${instantText(receivedAtMs)})`;
  }
  return null;
}

/** Who decided the boot's outcome: the agent on the instance, or the collector's sweeper. */
export type DecidedBy = 'agent' | 'collector';

/**
 * The rules between fields of a report that already matches the schema, as problems (empty when
 * it keeps them). DESIGN.md, outcome: a success has the reason `none`; a failure has one reason,
 * `cloud_init_error`, `probe_timeout`, `unit_failed` or `agent_error` when an agent decided it,
 * `no_report` or `terminated_before_ready` when the collector did (no agent can know that it
 * never reported). Times: ReportTimeBounds around `receivedAtMs`.
 */
export function contractProblems(
  report: BootReport,
  context: { receivedAtMs: number; decidedBy: DecidedBy },
): string[] {
  const problems: string[] = [];
  const { outcome, reason } = report;
  const allowed: readonly string[] =
    context.decidedBy === 'agent' ? AgentReasons : [...AgentReasons, ...CollectorReasons];
  if (outcome === 'success' && reason !== SuccessReason) {
    problems.push(`a success has the reason "${SuccessReason}", got "${reason}"`);
  } else if (outcome === 'failure' && !allowed.includes(reason)) {
    problems.push(
      `a failure ${context.decidedBy === 'agent' ? 'an agent' : 'the collector'} decides has one of the reasons ${allowed.join(', ')}, got "${reason}"`,
    );
  }
  const { receivedAtMs } = context;
  const times = [
    instantProblem('launchedAt', Date.parse(report.launchedAt), receivedAtMs) ??
      instantProblem(
        'the outcome time, launchedAt + timeToReadySeconds =',
        outcomeTimeMs(report),
        receivedAtMs,
      ),
    report.kernelStartedAt === undefined
      ? null
      : instantProblem('kernelStartedAt', Date.parse(report.kernelStartedAt), receivedAtMs),
  ];
  for (const problem of times) if (problem !== null) problems.push(problem);
  return problems;
}

/**
 * Whether a reported AMI id, version, region or instance type says "not known": nothing, blank,
 * or a name that labels fold into (`unknown`, `other`, in any case). Such a value is stored as
 * `unknown` (or replaced by the signed identity document's), never as sent: a version `other`
 * would be counted with the versions folded past the label cap, `Unknown` beside `unknown`.
 */
export function saysUnknown(value: string | undefined): boolean {
  if (value === undefined || isBlank(value)) return true;
  const lower = value.trim().toLowerCase();
  return lower === UnknownVersion || lower === OtherLabelValue;
}
