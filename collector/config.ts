// The collector's configuration: a YAML file (BOOTWATCH_CONFIG) and the environment, the
// environment winning field by field. Every field `x_y` can be set by `BOOTWATCH_X_Y`. The merged
// raw values are validated once against one schema, converted to units the code uses (ms, bytes),
// and deep-frozen; an invalid field fails startup with a message naming its source, field and value.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { durationRange, parseDurationIn, type DurationRange } from '../shared/duration.js';
import { BootwatchError, errorMessage } from '../shared/errors.js';

export const LogLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const Duration = Type.String({ minLength: 1, maxLength: 32 });
const OptionalText = Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]);

/** The file and environment shape, snake_case as operators write it. */
export const CollectorConfigSchema = Type.Object(
  {
    listen: Type.String({ minLength: 3, maxLength: 256 }),
    store: Type.String({ minLength: 1, maxLength: 4096 }),
    replica_id: Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()]),
    report_deadline: Duration,
    sweep_interval: Duration,
    retention: Duration,
    token: OptionalText,
    admin_token: OptionalText,
    read_token: OptionalText,
    open_reads: Type.Boolean(),
    identity_cert_dir: OptionalText,
    allow_anonymous: Type.Boolean(),
    body_limit: Type.Union([Type.Integer({ minimum: 1024 }), Type.String({ maxLength: 32 })]),
    body_timeout: Duration,
    scan_body_limit: Type.Union([Type.Integer({ minimum: 1024 }), Type.String({ maxLength: 32 })]),
    max_in_flight: Type.Integer({ minimum: 1, maximum: 100_000 }),
    label_cap: Type.Integer({ minimum: 1, maximum: 10_000 }),
    group_label_cap: Type.Integer({ minimum: 1, maximum: 10_000 }),
    heartbeat_window: Duration,
    slo_file: OptionalText,
    slo_interval: Duration,
    rollout_switch_back_window: Duration,
    log_level: Type.Union(LogLevels.map((l) => Type.Literal(l))),
  },
  { additionalProperties: false },
);
type RawConfig = Static<typeof CollectorConfigSchema>;

/** Every default in one place. */
export const CollectorDefaults: RawConfig = {
  listen: '127.0.0.1:4318', // host:port; [v6]:port for IPv6
  store: './data/bootwatch.db', // SQLite file path or postgres:// URL
  replica_id: null, // null: os.hostname(); names this replica's persisted counters
  report_deadline: '15m', // launch -> no_report when the agent stayed silent this long
  sweep_interval: '30s', // how often the sweeper decides no_report / terminated_before_ready
  retention: '30d', // raw boots older than this (outcome time) are pruned; rollups are kept
  token: null, // shared bearer token for agents (and EventBridge API destinations)
  admin_token: null, // bearer token for the admin API (image registry); it reads too
  read_token: null, // bearer token for the read API (GET /api/v1/...): dashboards, CLI, pipelines
  open_reads: false, // the read API without a credential, even when credentials are configured
  identity_cert_dir: null, // folder of AWS public certificates verifying identity documents
  allow_anonymous: false, // accept agent reports and events without any credential
  body_limit: 4 * 1024 * 1024, // bytes, after decompression; or a string like 4MiB
  body_timeout: '30s', // a request's headers and body arrive within this, or 408
  scan_body_limit: 64 * 1024 * 1024, // POST .../scans only: a scanner's JSON report, after decompression
  max_in_flight: 256, // OTLP requests being ingested at once before 503 + Retry-After
  label_cap: 50, // distinct ami_version (and ami_id) label values on /metrics; the rest -> other
  group_label_cap: 200, // distinct region, asg and instance_type values on /metrics, each; the rest -> other
  heartbeat_window: '5m', // an agent heartbeating within this window counts as reporting
  slo_file: null, // SLO definitions (read by the SLO engine); null: built-in defaults
  slo_interval: '30s', // how often the SLO engine evaluates (and reads what other replicas wrote)
  // a group launching the version it replaced this soon after a detected rollout began rolled it
  // back; a rollout the window passes over is promoted (docs/rollouts-detected.md)
  rollout_switch_back_window: '1d',
  log_level: 'info', // pino level
};

type DurationField =
  | 'report_deadline'
  | 'sweep_interval'
  | 'retention'
  | 'heartbeat_window'
  | 'body_timeout'
  | 'slo_interval'
  | 'rollout_switch_back_window';

/**
 * What each duration setting accepts (README, collector configuration). Intervals are timers and
 * stay far under Node's 24.8-day timer limit (shared/duration.ts, MaxTimerMs); the others are
 * windows into stored time, bounded so that the arithmetic on them stays meaningful.
 */
export const CollectorDurationRanges: Readonly<Record<DurationField, DurationRange>> = {
  report_deadline: durationRange('1m', '7d'), // agents report within their own deadline (600s)
  sweep_interval: durationRange('1s', '1h'), // a timer; no_report is decided this late at most
  retention: durationRange('1h', '3650d'),
  heartbeat_window: durationRange('10s', '1d'), // above the agents' heartbeat interval (60s)
  body_timeout: durationRange('1s', '10m'), // 4 MiB at 1 Mbit/s takes 34 s
  slo_interval: durationRange('1s', '10m'), // a timer; other replicas' boots count this late at most
  // at least a canary's length; at most a month, as the detector reads three windows of launches
  rollout_switch_back_window: durationRange('10m', '30d'),
};

/** The validated configuration, in the units the code uses. */
export interface CollectorConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly store: string;
  readonly replicaId: string;
  readonly reportDeadlineMs: number;
  readonly sweepIntervalMs: number;
  readonly retentionMs: number;
  readonly token: string | null;
  readonly adminToken: string | null;
  readonly readToken: string | null;
  readonly openReads: boolean;
  readonly identityCertDir: string | null;
  readonly allowAnonymous: boolean;
  readonly bodyLimitBytes: number;
  readonly bodyTimeoutMs: number;
  readonly scanBodyLimitBytes: number;
  readonly maxInFlight: number;
  readonly labelCap: number;
  readonly groupLabelCap: number;
  readonly heartbeatWindowMs: number;
  readonly sloFile: string | null;
  readonly sloIntervalMs: number;
  readonly rolloutSwitchBackWindowMs: number;
  readonly logLevel: (typeof LogLevels)[number];
}

type Field = keyof RawConfig;
const Fields = Object.keys(CollectorDefaults) as Field[];
const BooleanFields: ReadonlySet<Field> = new Set(['allow_anonymous', 'open_reads']);
const IntegerFields: ReadonlySet<Field> = new Set([
  'max_in_flight',
  'label_cap',
  'group_label_cap',
]);

/** The environment variable that sets a field: `report_deadline` -> BOOTWATCH_REPORT_DEADLINE. */
export function envName(field: string): string {
  return `BOOTWATCH_${field.toUpperCase()}`;
}

export interface ConfigSources {
  /** The parsed YAML document (undefined when there is no file). */
  file?: unknown;
  /** The file's path, for messages. */
  filePath?: string | null;
  env?: Record<string, string | undefined>;
  /** For the replica id default; os.hostname() unless given. */
  hostname?: string;
}

/** Pure: merges defaults, file and environment, validates, converts, freezes. */
export function buildCollectorConfig(sources: ConfigSources): CollectorConfig {
  const filePath = sources.filePath ?? null;
  const env = sources.env ?? {};
  const file = fileObject(sources.file, filePath);
  const raw: Record<string, unknown> = { ...CollectorDefaults };
  const origin: Record<string, string> = {};
  for (const [key, value] of Object.entries(file)) {
    raw[key] = value;
    origin[key] = `${filePath ?? 'config file'}`;
  }
  for (const field of Fields) {
    const text = env[envName(field)];
    if (text === undefined || text === '') continue;
    raw[field] = fromEnv(field, text);
    origin[field] = `environment ${envName(field)}`;
  }

  const problem = Value.Errors(CollectorConfigSchema, raw).First();
  if (problem) {
    const field = problem.path.split('/')[1] ?? '';
    const where = origin[field] ?? filePath ?? 'defaults';
    const known = (Fields as string[]).includes(field);
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      known
        ? `${where}: ${field}: ${problem.message}, got ${shown(field, raw[field])}`
        : `${where}: unknown field '${field}'; expected one of ${Fields.join(', ')}`,
    );
  }
  const cfg = raw as RawConfig;
  const at = (field: Field): string => `${origin[field] ?? 'defaults'}: ${field}`;
  const duration = (field: DurationField) =>
    parseDurationIn(cfg[field], at(field), CollectorDurationRanges[field]);
  return deepFreeze({
    listen: parseListen(cfg.listen, at('listen')),
    store: cfg.store,
    replicaId: cfg.replica_id ?? sources.hostname ?? hostname(),
    reportDeadlineMs: duration('report_deadline'),
    sweepIntervalMs: duration('sweep_interval'),
    retentionMs: duration('retention'),
    token: cfg.token,
    adminToken: cfg.admin_token,
    readToken: cfg.read_token,
    openReads: cfg.open_reads,
    identityCertDir: cfg.identity_cert_dir,
    allowAnonymous: cfg.allow_anonymous,
    bodyLimitBytes: parseSize(cfg.body_limit, at('body_limit')),
    bodyTimeoutMs: duration('body_timeout'),
    scanBodyLimitBytes: parseSize(cfg.scan_body_limit, at('scan_body_limit')),
    maxInFlight: cfg.max_in_flight,
    labelCap: cfg.label_cap,
    groupLabelCap: cfg.group_label_cap,
    heartbeatWindowMs: duration('heartbeat_window'),
    sloFile: cfg.slo_file,
    sloIntervalMs: duration('slo_interval'),
    rolloutSwitchBackWindowMs: duration('rollout_switch_back_window'),
    logLevel: cfg.log_level,
  });
}

/** Reads BOOTWATCH_CONFIG (or `configPath`) if set, then builds the configuration. */
export function loadCollectorConfig(
  env: Record<string, string | undefined> = process.env,
  configPath: string | null = env.BOOTWATCH_CONFIG ?? null,
): CollectorConfig {
  if (configPath === null || configPath === '') return buildCollectorConfig({ env });
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (e) {
    throw new BootwatchError('BW_CONFIG_FILE', `${configPath}: cannot read: ${errorMessage(e)}`);
  }
  let file: unknown;
  try {
    file = parseYaml(text);
  } catch (e) {
    throw new BootwatchError('BW_CONFIG_FILE', `${configPath}: not YAML: ${errorMessage(e)}`);
  }
  return buildCollectorConfig({ file, filePath: configPath, env });
}

const SecretFields: ReadonlySet<string> = new Set(['token', 'admin_token', 'read_token']);

/** A value for an error message; a secret's value stays out of logs. */
function shown(field: string, value: unknown): string {
  return SecretFields.has(field) ? `a ${typeof value} (value not shown)` : JSON.stringify(value);
}

function fileObject(file: unknown, filePath: string | null): Record<string, unknown> {
  if (file === undefined || file === null) return {};
  if (typeof file !== 'object' || Array.isArray(file)) {
    throw new BootwatchError(
      'BW_CONFIG_FILE',
      `${filePath ?? 'config file'}: expected a YAML mapping of fields, got ${JSON.stringify(file)}`,
    );
  }
  return file as Record<string, unknown>;
}

/** Environment values are text: coerce to the field's type so the schema check is the same. */
function fromEnv(field: Field, text: string): unknown {
  if (BooleanFields.has(field)) {
    if (/^(true|1|yes)$/i.test(text)) return true;
    if (/^(false|0|no)$/i.test(text)) return false;
    return text;
  }
  const size = field === 'body_limit' || field === 'scan_body_limit';
  if (IntegerFields.has(field) || (size && /^\d+$/.test(text))) {
    return /^-?\d+$/.test(text) ? Number(text) : text;
  }
  return text;
}

const SizeUnits: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `4194304`, `4MiB`, `512KiB`: bytes. */
export function parseSize(value: number | string, where: string): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kib|mib|gib)\s*$/i.exec(value);
  const bytes = m ? Math.floor(Number(m[1]) * SizeUnits[m[2]!.toLowerCase()]!) : NaN;
  if (!(bytes >= 1024)) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      `${where}: expected a size of at least 1KiB such as 4MiB or 4194304, got '${value}'`,
    );
  }
  return bytes;
}

/** `host:port`, `[::1]:port`. */
export function parseListen(text: string, where: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      `${where}: expected host:port such as 127.0.0.1:4318 or [::1]:4318, got '${text}'`,
    );
  }
  return { host: m[1] ?? m[2]!, port };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
