// cloud-init's own record of this boot, normalized. Pure: text in, CloudInitState out.
//
// status.json (written by every stage, /var/lib/cloud/data/status.json linked from
// /run/cloud-init/status.json):
//   {"v1": {"datasource": "DataSourceEc2Local", "stage": null,
//           "init-local": {"start": 1595990805.56, "finished": 1595990805.98, "errors": [],
//                          "recoverable_errors": {"WARNING": ["..."]}}, "init": {...},
//           "modules-config": {...}, "modules-final": {...}, "modules-init": {...} (up to 22.x)}}
// result.json (written once, after modules-final): {"v1": {"datasource": "...", "errors": [...]}}
//
// Times: up to 24.1 cloud-init wrote epoch seconds (time.time()); from 24.2 it writes seconds since
// boot (util.uptime()). The two never overlap in magnitude: 1e9 s is 2001-09-09 as an epoch and
// 31 years as an uptime, so a value below it is an uptime and is added to the kernel's boot time.
import { BootwatchError } from '../shared/errors.js';

export const CloudInitStages = ['init-local', 'init', 'modules-config', 'modules-final'] as const;
export type CloudInitStage = (typeof CloudInitStages)[number];

export type CloudInitStateName = 'not_installed' | 'disabled' | 'running' | 'done' | 'error';

export interface StageTimes {
  /** Epoch ms; null when the stage did not start (or its time could not be converted). */
  startMs: number | null;
  /** Epoch ms; null while the stage runs, or when it did not run. */
  finishMs: number | null;
}

export interface CloudInitError {
  /** The stage that reported it; 'modules-init' for that legacy stage; null when not known. */
  stage: CloudInitStage | 'modules-init' | null;
  message: string;
}

export interface RecoverableError extends CloudInitError {
  /** The log level cloud-init recorded it at: WARNING, DEPRECATED, ERROR, ... */
  level: string;
}

export type TimeBase = 'epoch' | 'since_boot' | 'mixed' | 'log';

export interface CloudInitSource {
  /** The file each value came from (as an absolute path on the instance); null when not read. */
  status: string | null;
  result: string | null;
  log: string | null;
  /** How the stage times were written; null when there were none. */
  timeBase: TimeBase | null;
}

export interface CloudInitState {
  state: CloudInitStateName;
  /** Degraded: done, with recoverable errors (kept in recoverableErrors). */
  degraded: boolean;
  /** modules-final has finished (result.json written): no stage time will change any more. */
  complete: boolean;
  /** The stage running now, when one is. */
  currentStage: CloudInitStage | null;
  stages: Record<CloudInitStage, StageTimes>;
  datasource: string | null;
  /** cloud-init's version when a source names it (the log does, status.json does not). */
  version: string | null;
  /** Unrecoverable errors: a boot with any of them is a cloud_init_error. */
  errors: CloudInitError[];
  recoverableErrors: RecoverableError[];
  /** Epoch ms when modules-final finished; null until then. */
  finishedAtMs: number | null;
  source: CloudInitSource;
  /** What was missing, stale or unparseable on the way to this state. */
  notes: string[];
}

/** A status.json value at or above this is epoch seconds; below it, seconds since boot. */
export const EpochThresholdSeconds = 1e9;

/** An epoch stage start this long before the kernel boot is a previous boot's leftover. */
export const LeftoverSlackMs = 5000;

export function emptyStages(): Record<CloudInitStage, StageTimes> {
  return Object.fromEntries(
    CloudInitStages.map((s) => [s, { startMs: null, finishMs: null }]),
  ) as Record<CloudInitStage, StageTimes>;
}

/** A state with no stage data: not_installed, disabled, or running before anything was written. */
export function bareState(
  state: CloudInitStateName,
  notes: string[] = [],
  source: Partial<CloudInitSource> = {},
): CloudInitState {
  return {
    state,
    degraded: false,
    complete: false,
    currentStage: null,
    stages: emptyStages(),
    datasource: null,
    version: null,
    errors: [],
    recoverableErrors: [],
    finishedAtMs: null,
    source: { status: null, result: null, log: null, timeBase: null, ...source },
    notes,
  };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseV1(text: string, file: string, expected: string): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BootwatchError(
      'BW_CLOUD_INIT_PARSE',
      `${file}: expected JSON ${expected}, got text that does not parse (${(e as Error).message})`,
    );
  }
  if (!isObject(doc) || !isObject(doc.v1)) {
    const got = isObject(doc) ? `an object with keys [${Object.keys(doc).join(', ')}]` : typeof doc;
    throw new BootwatchError('BW_CLOUD_INIT_PARSE', `${file}: expected ${expected}, got ${got}`);
  }
  return doc.v1;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))) : [];
}

function recoverables(v: unknown, stage: RecoverableError['stage']): RecoverableError[] {
  if (!isObject(v)) return [];
  return Object.entries(v).flatMap(([level, msgs]) =>
    strings(msgs).map((message) => ({ stage, level, message })),
  );
}

const ReportedStatuses = ['done', 'running', 'error', 'disabled'] as const;

export interface ParsedStatus {
  stages: Record<CloudInitStage, StageTimes>;
  /** Which stages have a start and a finish written, whether or not the time could be converted. */
  progress: Record<CloudInitStage, { started: boolean; finished: boolean }>;
  /** v1.stage: the stage that was running when the file was written. */
  currentStage: CloudInitStage | null;
  datasource: string | null;
  errors: CloudInitError[];
  recoverableErrors: RecoverableError[];
  /** `status`/`extended_status` when the document carries them (`cloud-init status --format json`). */
  reportedStatus: (typeof ReportedStatuses)[number] | null;
  timeBase: TimeBase | null;
  notes: string[];
}

/**
 * Parses status.json. Throws BW_CLOUD_INIT_PARSE when the text is not JSON with a v1 object;
 * anything odd inside v1 becomes a note. `kernelBootMs` converts seconds-since-boot times.
 */
export function parseStatusJson(
  text: string,
  options: { kernelBootMs?: number | null; file?: string } = {},
): ParsedStatus {
  const file = options.file ?? 'status.json';
  const v1 = parseV1(text, file, '{"v1": {"datasource", "init-local", "init", ...}}');
  const notes: string[] = [];
  const stages = emptyStages();
  const progress = Object.fromEntries(
    CloudInitStages.map((s) => [s, { started: false, finished: false }]),
  ) as ParsedStatus['progress'];
  const errors: CloudInitError[] = [];
  const recoverableErrors: RecoverableError[] = [];
  const bases = new Set<'epoch' | 'since_boot'>();

  const toMs = (value: unknown, what: string): number | null => {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      notes.push(`${file}: ${what} is ${JSON.stringify(value)}, expected seconds or null`);
      return null;
    }
    if (value >= EpochThresholdSeconds) {
      bases.add('epoch');
      return Math.round(value * 1000);
    }
    bases.add('since_boot');
    if (options.kernelBootMs === null || options.kernelBootMs === undefined) {
      notes.push(`${file}: ${what} is ${value} s since boot, and no kernel boot time was given`);
      return null;
    }
    return Math.round(options.kernelBootMs + value * 1000);
  };

  for (const name of [...CloudInitStages, 'modules-init'] as const) {
    const entry = v1[name];
    if (entry === undefined || entry === null) continue;
    if (!isObject(entry)) {
      notes.push(`${file}: v1["${name}"] is ${JSON.stringify(entry)}, expected an object`);
      continue;
    }
    const startMs = toMs(entry.start, `${name}.start`);
    const finishMs = toMs(entry.finished, `${name}.finished`);
    // Without init-local, the init stage starts from the previous boot's status.json and leaves
    // the later stages' entries as they were until they run again: an epoch time before this
    // boot's kernel start is such a leftover, not a stage of this boot. The slack absorbs a clock
    // stepped forward by NTP after the stage wrote its time.
    const boot = options.kernelBootMs;
    if (
      boot !== null &&
      boot !== undefined &&
      startMs !== null &&
      startMs < boot - LeftoverSlackMs
    ) {
      notes.push(`${file}: ${name} started before this boot (a leftover), ignored`);
      continue;
    }
    // modules-init (cloud-init up to 22.x) has no phase of its own; only its errors count.
    if (name !== 'modules-init') {
      stages[name] = { startMs, finishMs };
      progress[name] = {
        started: typeof entry.start === 'number',
        finished: typeof entry.finished === 'number',
      };
    }
    errors.push(...strings(entry.errors).map((message) => ({ stage: name, message })));
    recoverableErrors.push(...recoverables(entry.recoverable_errors, name));
  }
  // `cloud-init status --format json` repeats everything at v1 level; keep what is not already here.
  for (const message of strings(v1.errors)) {
    if (!errors.some((e) => e.message === message)) errors.push({ stage: null, message });
  }
  for (const r of recoverables(v1.recoverable_errors, null)) {
    if (!recoverableErrors.some((e) => e.level === r.level && e.message === r.message)) {
      recoverableErrors.push(r);
    }
  }

  const current = v1.stage;
  const currentStage = CloudInitStages.find((s) => s === current) ?? null;
  if (current !== null && current !== undefined && currentStage === null) {
    notes.push(`${file}: v1.stage is ${JSON.stringify(current)}, not a known stage`);
  }
  const reported = [v1.extended_status, v1.status]
    .filter((s): s is string => typeof s === 'string')
    .map((s) => ReportedStatuses.find((known) => s.split(' ').includes(known)))
    .find((s) => s !== undefined);

  return {
    stages,
    progress,
    currentStage,
    datasource: typeof v1.datasource === 'string' && v1.datasource !== '' ? v1.datasource : null,
    errors,
    recoverableErrors,
    reportedStatus: reported ?? null,
    timeBase: bases.size === 0 ? null : bases.size === 2 ? 'mixed' : [...bases][0]!,
    notes,
  };
}

export interface ParsedResult {
  datasource: string | null;
  errors: string[];
}

/** Parses result.json, which cloud-init writes once modules-final has finished. */
export function parseResultJson(text: string, file = 'result.json'): ParsedResult {
  const v1 = parseV1(text, file, '{"v1": {"datasource", "errors": [...]}}');
  return {
    datasource: typeof v1.datasource === 'string' && v1.datasource !== '' ? v1.datasource : null,
    errors: strings(v1.errors),
  };
}

/**
 * The state of a parsed status.json (plus result.json when it exists). Any unrecoverable error
 * makes it `error` at once, even while later stages still run: that is the moment the failure is
 * decided. Otherwise it is `done` once modules-final finished or result.json exists, and
 * `running` before.
 */
export function stateFromStatus(
  status: ParsedStatus,
  result: ParsedResult | null,
  source: Omit<CloudInitSource, 'timeBase'>,
): CloudInitState {
  const errors = [...status.errors];
  for (const message of result?.errors ?? []) {
    if (!errors.some((e) => e.message === message)) errors.push({ stage: null, message });
  }
  const complete =
    result !== null || (status.progress['modules-final'].finished && status.currentStage === null);
  if (status.reportedStatus === 'error' && errors.length === 0) {
    errors.push({ stage: null, message: 'cloud-init reported status error without detail' });
  }
  let state: CloudInitStateName = errors.length > 0 ? 'error' : complete ? 'done' : 'running';
  if (status.reportedStatus === 'disabled') state = 'disabled';
  const currentStage =
    status.currentStage ??
    (complete
      ? null
      : (CloudInitStages.find((s) => status.progress[s].started && !status.progress[s].finished) ??
        null));
  return {
    state,
    degraded: state === 'done' && status.recoverableErrors.length > 0,
    complete,
    currentStage,
    stages: status.stages,
    datasource: status.datasource ?? result?.datasource ?? null,
    version: null,
    errors,
    recoverableErrors: status.recoverableErrors,
    finishedAtMs: complete ? status.stages['modules-final'].finishMs : null,
    source: { ...source, timeBase: status.timeBase },
    notes: [...status.notes],
  };
}
