// The scenario file's shape (simulator/scenarios/*.yaml) and the model it becomes. The schema
// checks types, required fields and unknown fields; scenario.ts checks what a schema cannot say
// (durations, ranges, references between fields) and converts to the model (durations in ms).
import { Type, type Static } from '@sinclair/typebox';

/** What can go wrong with a simulated boot; everything else is a success. */
export const SimFailures = ['cloud_init_error', 'probe_timeout', 'no_report'] as const;
export type SimFailure = (typeof SimFailures)[number];

// `description` is what an error message says was expected ("expected <description>, got ...").
const DurationText = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'a duration such as 90s, 15m, 6h or 30d',
});
const Ratio = Type.Number({ minimum: 0, maximum: 1, description: 'a fraction from 0 to 1' });
const Weights = Type.Record(
  Type.String({ minLength: 1, maxLength: 128 }),
  Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'a weight above 0' }),
  { minProperties: 1, maxProperties: 50, description: 'a mapping of names to weights' },
);

const ImageSchema = Type.Object(
  {
    version: Type.String({ minLength: 1, maxLength: 128, description: 'a version string' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    boot_time: Type.Object(
      { median: DurationText, p95: DurationText },
      { additionalProperties: false, description: 'a mapping with median and p95' },
    ),
    failures: Type.Optional(
      Type.Object(
        {
          cloud_init_error: Type.Optional(Ratio),
          probe_timeout: Type.Optional(Ratio),
          no_report: Type.Optional(Ratio),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const TrafficSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    asg: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    // steady: launches arrive at random (a Poisson process) at per_hour between from and to
    from: Type.Optional(DurationText),
    to: Type.Optional(DurationText),
    per_hour: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 100_000,
        description: 'launches per hour, above 0',
      }),
    ),
    // burst: a scale-out, `burst` launches spread evenly over `within`, starting `at`
    at: Type.Optional(DurationText),
    burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    within: Type.Optional(DurationText),
    versions: Weights,
  },
  { additionalProperties: false },
);

// A rollout a simulated release pipeline runs through the API: it starts the canary at `at`,
// asks for the verdict every simulated minute, and promotes or rolls back as the verdict says.
const RolloutSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    candidate: Type.String({ minLength: 1, maxLength: 255 }),
    baseline: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    asg: Type.String({ minLength: 1, maxLength: 255 }),
    at: DurationText,
    min_boots: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    min_duration: Type.Optional(DurationText),
  },
  { additionalProperties: false },
);

export const ScenarioFileSchema = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
      description: 'a name of lowercase letters, digits and dashes',
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
    duration: DurationText,
    start: Type.Optional(
      Type.String({ maxLength: 40, description: 'an RFC 3339 time such as 2026-11-01T00:00:00Z' }),
    ),
    deadline: Type.Optional(DurationText),
    report_deadline: Type.Optional(DurationText),
    fleet: Type.Optional(
      Type.Object(
        {
          account: Type.Optional(
            Type.String({ pattern: '^[0-9]{12}$', description: 'a 12-digit AWS account id' }),
          ),
          regions: Type.Optional(
            Type.Record(
              Type.String(),
              Type.Array(Type.String({ minLength: 1, maxLength: 32 }), {
                minItems: 1,
                maxItems: 10,
                description: 'a list of availability zones',
              }),
              { minProperties: 1, maxProperties: 20, description: 'a mapping of regions to zones' },
            ),
          ),
          instance_types: Type.Optional(Weights),
        },
        { additionalProperties: false },
      ),
    ),
    images: Type.Array(ImageSchema, { minItems: 1, maxItems: 20, description: 'a list of images' }),
    traffic: Type.Array(TrafficSchema, {
      minItems: 1,
      maxItems: 100,
      description: 'a list of traffic entries',
    }),
    rollouts: Type.Optional(
      Type.Array(RolloutSchema, { maxItems: 20, description: 'a list of rollouts' }),
    ),
  },
  { additionalProperties: false },
);

export type ScenarioFile = Static<typeof ScenarioFileSchema>;

/** One AMI version: how long it takes to boot and how it fails. */
export interface ScenarioImage {
  version: string;
  name: string;
  /** Time to ready of a success: log-normal with this median and 95th percentile, seconds. */
  bootTime: { medianSeconds: number; p95Seconds: number };
  /** Share of launches that fail each way; the rest succeed. */
  failures: Record<SimFailure, number>;
}

interface TrafficBase {
  name: string;
  asg: string;
  /** Version -> weight, in file order. */
  versions: [string, number][];
}

export interface SteadyTraffic extends TrafficBase {
  kind: 'steady';
  /** Offsets from the scenario start, ms. */
  fromMs: number;
  toMs: number;
  perHour: number;
}

export interface BurstTraffic extends TrafficBase {
  kind: 'burst';
  atMs: number;
  count: number;
  withinMs: number;
}

export type Traffic = SteadyTraffic | BurstTraffic;

/** A rollout the simulated pipeline drives through the API (rollout-driver.ts). */
export interface ScenarioRollout {
  name: string;
  candidate: string;
  baseline: string | null;
  asg: string;
  /** Offset from the scenario start, ms. */
  atMs: number;
  /** Verdict policy overrides (collector/rollouts/policy.ts). */
  policy: { minBootsPerSide?: number; minCanaryDurationMs?: number };
}

export interface Scenario {
  name: string;
  description: string;
  /** Where it was read from, for messages. */
  source: string;
  seed: number;
  durationMs: number;
  /** Epoch ms of the simulated start; null: the run places it so that it ends now. */
  startMs: number | null;
  /** The agents' boot deadline (agent `deadline`). */
  deadlineMs: number;
  /** The in-process collector's report deadline (no_report after this much silence). */
  reportDeadlineMs: number;
  fleet: {
    account: string;
    /** Region -> its availability zones, in file order. */
    regions: [string, string[]][];
    instanceTypes: [string, number][];
  };
  images: ScenarioImage[];
  traffic: Traffic[];
  rollouts: ScenarioRollout[];
}
