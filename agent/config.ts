// Loads the agent's configuration: one YAML file (an explicit path, else BOOTWATCH_CONFIG) plus the
// environment, the environment winning. Defaults are filled in, the result is validated once
// against AgentConfigSchema (unknown fields included: a typo must not pass silently), decoded
// (durations to milliseconds) and deep-frozen. Every error names the file or the environment
// variable, the field, the value received and what was expected.
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { BootwatchError, errorMessage } from '../shared/errors.js';
import {
  AgentConfigDefaults,
  AgentConfigSchema,
  HttpProbeDefaults,
  ProbeDefaults,
  type AgentConfig,
} from './config-schema.js';
import {
  fieldName,
  isPlainObject,
  schemaProblems,
  show,
  valueAt,
  type Problem,
} from './config-problems.js';

export {
  AgentConfigDefaults,
  AgentConfigSchema,
  ProbeSchema,
  ProbeTypes,
  type AgentConfig,
  type AgentConfigInput,
  type ProbeConfig,
} from './config-schema.js';

type Path = readonly (string | number)[];

/** The environment variables that override a field (DESIGN.md, configuration contract). */
export const AgentConfigEnv: readonly { name: string; path: Path }[] = [
  { name: 'BOOTWATCH_ROOT', path: ['root'] },
  { name: 'BOOTWATCH_IMDS_ENDPOINT', path: ['imds', 'endpoint'] },
  { name: 'BOOTWATCH_COLLECTOR_URL', path: ['collector', 'url'] },
  { name: 'BOOTWATCH_TOKEN', path: ['collector', 'token'] },
  { name: 'BOOTWATCH_SPOOL_DIR', path: ['spool_dir'] },
  { name: 'BOOTWATCH_MANIFEST', path: ['manifest'] },
  { name: 'BOOTWATCH_DEADLINE', path: ['deadline'] },
  // Setting the interval also turns heartbeats on (see applyEnv).
  { name: 'BOOTWATCH_HEARTBEAT_INTERVAL', path: ['heartbeat', 'interval'] },
];

/** IMDSv2 accepts X-aws-ec2-metadata-token-ttl-seconds from 1 to 21600. */
const TokenTtlMaxMs = 21_600_000;

export interface LoadAgentConfigOptions {
  /** Wins over BOOTWATCH_CONFIG; with neither, the config is the defaults plus the environment. */
  file?: string;
  env: NodeJS.ProcessEnv;
}

export function loadAgentConfig({ file, env }: LoadAgentConfigOptions): AgentConfig {
  const path = file ?? nonEmpty(env.BOOTWATCH_CONFIG);
  const document = path === undefined ? {} : readYaml(path);
  const fromEnv = new Map<string, string>();
  const sourceOf = (p: Path) => {
    const variable = fromEnv.get(JSON.stringify(p));
    return variable ? `environment variable ${variable}` : (path ?? 'configuration');
  };
  if (!isPlainObject(document)) {
    const reason = `expected a mapping of fields at the top level, got ${show(document)}`;
    throw new BootwatchError('BW_CONFIG_INVALID', `${path ?? 'configuration'}: ${reason}`);
  }
  const raw = withDefaults(document);
  applyEnv(raw, env, fromEnv);

  const problems = schemaProblems(AgentConfigSchema, raw);
  if (problems.length > 0) throw invalid(problems, sourceOf);
  const config = Value.Decode(AgentConfigSchema, raw);
  const crossField = crossFieldProblems(config, raw);
  if (crossField.length > 0) throw invalid(crossField, sourceOf);
  return deepFreeze(config);
}

/**
 * The collector URL, for commands that send. Only `bootwatch agent --dry-run` may run without one,
 * so the CLI applies this check rather than the loader.
 */
export function requireCollectorUrl(config: AgentConfig, file?: string): string {
  if (config.collector.url !== undefined) return config.collector.url;
  throw new BootwatchError(
    'BW_CONFIG_INVALID',
    `${file ?? 'configuration'}: collector.url: expected an http:// or https:// URL ` +
      '(set collector.url or BOOTWATCH_COLLECTOR_URL; only --dry-run works without it), got nothing',
  );
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const message = `${path}: cannot read the configuration file: ${errorMessage(e)}`;
    throw new BootwatchError('BW_CONFIG_FILE', message, { cause: e });
  }
  const document = parseDocument(text);
  const [error] = document.errors;
  if (error) {
    const where = error.linePos
      ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}`
      : '';
    // yaml appends its own position and a source excerpt; the position is said once, above.
    const what = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
    throw new BootwatchError('BW_CONFIG_FILE', `${path}: not valid YAML${where}: ${what}`, {
      cause: error,
    });
  }
  try {
    // maxAliasCount bounds alias expansion (the "billion laughs" document).
    return document.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new BootwatchError('BW_CONFIG_FILE', `${path}: not usable YAML: ${errorMessage(e)}`, {
      cause: e,
    });
  }
}

/**
 * Defaults under the file: a section the file sets is merged key by key; a section left empty
 * (`imds:` with every line commented out is null in YAML) keeps its defaults; anything else the
 * file says is kept as written so that validation reports it.
 */
function withDefaults(document: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(AgentConfigDefaults);
  for (const [key, value] of Object.entries(document)) {
    const fallback = out[key];
    if (value === null && (isPlainObject(fallback) || Array.isArray(fallback))) continue;
    setOwn(
      out,
      key,
      isPlainObject(fallback) && isPlainObject(value) ? { ...fallback, ...value } : value,
    );
  }
  if (Array.isArray(out.probes)) out.probes = out.probes.map(probeWithDefaults);
  return out;
}

function probeWithDefaults(probe: unknown): unknown {
  if (!isPlainObject(probe)) return probe;
  return { ...ProbeDefaults, ...(probe.type === 'http' ? HttpProbeDefaults : {}), ...probe };
}

function applyEnv(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  fromEnv: Map<string, string>,
) {
  for (const { name, path } of AgentConfigEnv) {
    // An empty variable is unset: `BOOTWATCH_TOKEN=` in a unit file must not send an empty token.
    const value = nonEmpty(env[name]);
    const parent = valueAt(raw, path.slice(0, -1));
    if (value === undefined || !isPlainObject(parent)) continue;
    setOwn(parent, String(path[path.length - 1]), value);
    fromEnv.set(JSON.stringify(path), name);
    if (name === 'BOOTWATCH_HEARTBEAT_INTERVAL') parent.enabled = true;
  }
}

/** Rules that involve a decoded value or more than one field. */
function crossFieldProblems(config: AgentConfig, raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const got = (path: Path) => show(valueAt(raw, path));
  const ttl = config.imds.token_ttl;
  if (ttl > TokenTtlMaxMs || ttl % 1000 !== 0) {
    const path = ['imds', 'token_ttl'];
    problems.push({
      path,
      reason: `expected whole seconds from 1s to 6h (the IMDSv2 limits), got ${got(path)}`,
    });
  }
  if (config.retry.initial_backoff > config.retry.max_backoff) {
    const path = ['retry', 'initial_backoff'];
    const max = got(['retry', 'max_backoff']);
    problems.push({
      path,
      reason: `expected at most retry.max_backoff (${max}), got ${got(path)}`,
    });
  }
  const firstUse = new Map<string, number>();
  config.probes.forEach((probe, i) => {
    const first = firstUse.get(probe.name);
    if (first === undefined) firstUse.set(probe.name, i);
    else {
      const reason = `expected a name no other probe has, got '${probe.name}' (also probes[${first}].name)`;
      problems.push({ path: ['probes', i, 'name'], reason });
    }
  });
  return problems;
}

function invalid(problems: Problem[], sourceOf: (path: Path) => string): BootwatchError {
  const lines = problems.map((p) => `${sourceOf(p.path)}: ${fieldName(p.path)}: ${p.reason}`);
  return new BootwatchError('BW_CONFIG_INVALID', lines.join('\n'));
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Plain assignment would treat a `__proto__` key from the file as the prototype, not a field. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
