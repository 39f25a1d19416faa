// The agent's configuration schema: the single definition of every field, its limits and, through
// Transform, its decoded form (durations become milliseconds). The YAML file uses these snake_case
// names and the loaded config keeps them, so a field has one name in the docs, the file and the code.
// The schema describes the config after defaults are filled in (AgentConfigDefaults below), which is
// why fields with a default are required here.
import {
  FormatRegistry,
  Type,
  type Static,
  type StaticDecode,
  type TSchema,
} from '@sinclair/typebox';
import {
  durationRange,
  durationTextMs,
  formatDuration,
  inRange,
  parseDurationMs,
  type DurationRange,
} from '../shared/duration.js';

/** Format names are prefixed: FormatRegistry is global to the process and shared with the collector. */
const DurationFormatPrefix = 'bootwatch-duration';
const HttpUrlFormat = 'bootwatch-http-url';
const AbsolutePathFormat = 'bootwatch-absolute-path';

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

if (!FormatRegistry.Has(HttpUrlFormat)) FormatRegistry.Set(HttpUrlFormat, isHttpUrl);
if (!FormatRegistry.Has(AbsolutePathFormat)) {
  FormatRegistry.Set(AbsolutePathFormat, (s) => s.startsWith('/') && !s.includes('\0'));
}

/** The range of a duration setting's schema; undefined for any other schema. */
export function durationRangeOf(schema: TSchema): DurationRange | undefined {
  const range: unknown = schema.durationRange;
  return typeof range === 'object' && range !== null ? (range as DurationRange) : undefined;
}

/**
 * A duration setting and the values it accepts. Every one is a timeout, an interval or a budget
 * that ends up in a timer: above zero, and far below Node's 24.8-day timer limit (MaxTimerMs in
 * shared/duration.ts), past which a timer fires at once. The README's agent table says each range.
 * `description` is what an error message says was expected of a value that is no duration at all
 * ("expected <description>, got ..."); config-problems.ts words the range.
 */
const Duration = (min: string, max: string) => {
  const range = durationRange(min, max);
  const format = `${DurationFormatPrefix}:${min}..${max}`;
  if (!FormatRegistry.Has(format)) {
    FormatRegistry.Set(format, (s) => {
      const ms = durationTextMs(s);
      return ms !== null && inRange(ms, range);
    });
  }
  return Type.Transform(
    Type.String({ format, durationRange: range, description: 'a duration such as 90s' }),
  )
    .Decode((text) => parseDurationMs(text))
    .Encode((ms) => formatDuration(ms));
};

const HttpUrl = Type.String({
  format: HttpUrlFormat,
  maxLength: 2048,
  description: 'an http:// or https:// URL',
});

/** A base URL that paths are appended to: trailing slashes are dropped so `${base}/path` works. */
const BaseUrl = Type.Transform(HttpUrl)
  .Decode((url) => url.replace(/\/+$/, ''))
  .Encode((url) => url);

const AbsolutePath = Type.String({
  format: AbsolutePathFormat,
  maxLength: 4096,
  description: 'an absolute path such as /var/lib/bootwatch',
});

const strict = { additionalProperties: false } as const;

/** Names a probe in results and in the failure detail of a boot ("probe 'web' timed out"). */
const ProbeName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$',
  description: 'a name of up to 64 letters, digits, _ . : or -',
});

const ProbeTiming = {
  /** Per attempt. */
  timeout: Duration('10ms', '1h'),
  /** From the start of one attempt to the start of the next. */
  interval: Duration('10ms', '1h'),
};

export const HttpProbeSchema = Type.Object(
  {
    name: ProbeName,
    type: Type.Literal('http'),
    ...ProbeTiming,
    url: HttpUrl,
    /** Compared with the status as served: redirects are not followed. */
    expect_status: Type.Integer({
      minimum: 100,
      maximum: 599,
      description: 'an HTTP status from 100 to 599',
    }),
  },
  strict,
);

export const TcpProbeSchema = Type.Object(
  {
    name: ProbeName,
    type: Type.Literal('tcp'),
    ...ProbeTiming,
    host: Type.String({ minLength: 1, maxLength: 255, description: 'a host name or address' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'a port from 1 to 65535' }),
  },
  strict,
);

export const CommandProbeSchema = Type.Object(
  {
    name: ProbeName,
    type: Type.Literal('command'),
    ...ProbeTiming,
    /** argv, run without a shell; passes on exit status 0. */
    command: Type.Array(Type.String({ minLength: 1, description: 'a non-empty string' }), {
      minItems: 1,
      maxItems: 256,
      description: 'a non-empty list of strings (the program and its arguments)',
    }),
  },
  strict,
);

export const SystemdProbeSchema = Type.Object(
  {
    name: ProbeName,
    type: Type.Literal('systemd'),
    ...ProbeTiming,
    unit: Type.String({
      pattern: '^[A-Za-z0-9:_.@\\\\-]{1,255}$',
      description: 'a systemd unit name such as nginx.service',
    }),
  },
  strict,
);

export const FileProbeSchema = Type.Object(
  {
    name: ProbeName,
    type: Type.Literal('file'),
    ...ProbeTiming,
    /** Read under the root prefix, like every file the agent reads. */
    path: AbsolutePath,
  },
  strict,
);

export const ProbeSchema = Type.Union(
  [HttpProbeSchema, TcpProbeSchema, CommandProbeSchema, SystemdProbeSchema, FileProbeSchema],
  { description: 'a probe (a mapping with a name and a type)' },
);

export const ProbeTypes = ['http', 'tcp', 'command', 'systemd', 'file'] as const;

export const AgentConfigSchema = Type.Object(
  {
    /** Prefix of every file the agent reads: /proc, /run/cloud-init, /etc/bootwatch. */
    root: AbsolutePath,
    imds: Type.Object(
      {
        endpoint: BaseUrl,
        /** IMDSv2 token lifetime, sent in whole seconds; IMDS accepts 1 s to 6 h. */
        token_ttl: Duration('1s', '6h'),
        /** Fall back to IMDSv1 (no token) when the token PUT is refused. */
        allow_v1: Type.Boolean({ description: 'true or false' }),
        /** Per request. */
        timeout: Duration('10ms', '1m'),
        /** All IMDS reads together, retries included: IMDS must never hang the boot. */
        budget: Duration('100ms', '1h'),
        /** Read instance tags (needs "instance metadata tags" enabled on the instance). */
        tags: Type.Boolean({ description: 'true or false' }),
        /** The instance tag whose value is the AMI version when the image has no manifest. */
        version_tag: Type.String({
          minLength: 1,
          maxLength: 128,
          description: 'a tag key of 1 to 128 characters',
        }),
      },
      strict,
    ),
    collector: Type.Object(
      {
        /** Base URL; /v1/metrics is appended. Required to send, not for --dry-run. */
        url: Type.Optional(BaseUrl),
        /** Bearer token; writeOnly keeps it out of error messages. */
        token: Type.Optional(
          Type.String({
            pattern: '^[\\x21-\\x7e]{1,4096}$',
            writeOnly: true,
            description: 'a token of printable ASCII without spaces',
          }),
        ),
        timeout: Duration('100ms', '10m'),
        /** Send the signed instance identity document with each report. */
        send_identity: Type.Boolean({ description: 'true or false' }),
      },
      strict,
    ),
    spool_dir: AbsolutePath,
    /** The image manifest, read under root. */
    manifest: AbsolutePath,
    /** From launch: a boot not ready by then is a failure. */
    deadline: Duration('10s', '1d'),
    retry: Type.Object(
      {
        initial_backoff: Duration('10ms', '1h'),
        max_backoff: Duration('10ms', '1d'),
        /** 0: no count limit; the time budget (deadline + budget_after_deadline) still ends the run. */
        max_attempts_per_run: Type.Integer({
          minimum: 0,
          maximum: 100_000,
          description: 'a whole number of attempts, 0 for no limit',
        }),
        /** How long past the boot deadline a run keeps retrying; the spool keeps what is left. */
        budget_after_deadline: Duration('1s', '7d'),
      },
      strict,
    ),
    heartbeat: Type.Object(
      { enabled: Type.Boolean({ description: 'true or false' }), interval: Duration('1s', '1d') },
      strict,
    ),
    probes: Type.Array(ProbeSchema, { maxItems: 64, description: 'a list of at most 64 probes' }),
  },
  strict,
);

/** The config as written (durations as strings), after defaults are filled in. */
export type AgentConfigInput = Static<typeof AgentConfigSchema>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The loaded config: durations in milliseconds, deep-frozen. */
export type AgentConfig = DeepReadonly<StaticDecode<typeof AgentConfigSchema>>;
export type ProbeConfig = AgentConfig['probes'][number];

/** Every default, written as in the file; units are in the strings or the comments. */
export const AgentConfigDefaults: AgentConfigInput = {
  root: '/',
  imds: {
    endpoint: 'http://169.254.169.254', // IPv6: http://[fd00:ec2::254]
    token_ttl: '6h', // the IMDS maximum; one token serves the whole run
    allow_v1: false, // IMDSv2 only unless an operator opts in
    timeout: '1s', // per request; IMDS answers in milliseconds when it is up
    budget: '30s', // all IMDS reads, retries included
    tags: true, // read instance tags (a 404 when tags are not enabled is harmless)
    version_tag: 'bootwatch:ami-version', // tag key, used when the image has no manifest
  },
  collector: {
    timeout: '10s', // per export request
    send_identity: true, // the collector verifies the signed identity document
  },
  spool_dir: '/var/lib/bootwatch/spool',
  manifest: '/etc/bootwatch/image.json',
  deadline: '600s', // from launch, as in DESIGN.md
  retry: {
    initial_backoff: '1s', // doubled after each failed attempt...
    max_backoff: '60s', // ...up to this
    // 0 = no count limit: with 1 s doubling to 60 s, the 1 h budget past the deadline allows
    // about 70 attempts, which is few enough for a collector and enough to ride out an outage.
    max_attempts_per_run: 0, // attempts
    budget_after_deadline: '1h', // a later run (next boot, or the timer) sends what is left
  },
  heartbeat: {
    enabled: false, // BOOTWATCH_HEARTBEAT_INTERVAL turns it on
    interval: '60s',
  },
  probes: [],
};

/** Filled into each probe that does not set them. */
export const ProbeDefaults = {
  timeout: '5s', // per attempt
  interval: '2s', // start to start
} as const;
export const HttpProbeDefaults = { expect_status: 200 } as const;
