// The boot report: one record per boot, built by the agent, carried as OTLP metrics, rebuilt by the
// collector from the data points of one resource. The schema is the single definition; the type is
// derived from it, and the collector validates what it rebuilt against the same schema.
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Outcomes, Phases, Reasons } from './conventions.js';

/** RFC 3339 date-time with a zone, as OTLP attributes and JSON carry it. */
const Rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => Rfc3339.test(v) && !Number.isNaN(Date.parse(v)));
}

const Literals = <T extends readonly string[]>(values: T) =>
  Type.Union(values.map((v) => Type.Literal(v)));

export const BootReportSchema = Type.Object(
  {
    /** EC2 instance id (host.id). */
    instanceId: Type.String({ minLength: 1, maxLength: 64 }),
    /** /proc/sys/kernel/random/boot_id. */
    bootId: Type.String({ minLength: 1, maxLength: 64 }),
    /** The first boot after launch (counted by SLIs) or a reboot (recorded, shown, not counted). */
    firstBoot: Type.Boolean(),
    /** RFC 3339: pendingTime of the identity document; the kernel's boot time for a reboot. */
    launchedAt: Type.String({ format: 'date-time', maxLength: 40 }),
    /** RFC 3339: btime of /proc/stat. */
    kernelStartedAt: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
    amiId: Type.String({ maxLength: 64 }),
    amiName: Type.Optional(Type.String({ maxLength: 256 })),
    amiVersion: Type.String({ minLength: 1, maxLength: 128 }),
    accountId: Type.Optional(Type.String({ maxLength: 32 })),
    region: Type.String({ maxLength: 32 }),
    availabilityZone: Type.Optional(Type.String({ maxLength: 32 })),
    instanceType: Type.String({ maxLength: 64 }),
    asg: Type.Optional(Type.String({ maxLength: 256 })),
    outcome: Literals(Outcomes),
    reason: Literals(Reasons),
    /**
     * Seconds from launchedAt to ready (success) or to the moment the failure was decided.
     * outcome time = launchedAt + timeToReadySeconds.
     */
    timeToReadySeconds: Type.Number({ minimum: 0, maximum: 31 * 24 * 3600 }),
    /** Seconds spent in each phase that happened (see Phases in conventions.ts). */
    phases: Type.Partial(
      Type.Object(
        Object.fromEntries(Phases.map((p) => [p, Type.Number({ minimum: 0 })])) as Record<
          (typeof Phases)[number],
          ReturnType<typeof Type.Number>
        >,
      ),
    ),
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
