// Every duration setting of the agent has a range: a value outside it is a configuration error
// that names the field, the range and the value (a timer past 24.8 days fires at once and spins),
// both ends are accepted, and the README's agent section says each range.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kind, type TSchema } from '@sinclair/typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadAgentConfig } from '../../agent/config.js';
import { AgentConfigSchema, durationRangeOf } from '../../agent/config-schema.js';
import { formatDuration, MaxTimerMs, type DurationRange } from '../../shared/duration.js';
import { BootwatchError } from '../../shared/errors.js';

type Path = (string | number)[];

/** Every duration setting in the schema, with its path; a probe's stand for every probe type. */
function durationSettings(schema: TSchema, path: Path = []): [Path, DurationRange][] {
  const range = durationRangeOf(schema);
  if (range !== undefined) return [[path, range]];
  if (schema[Kind] === 'Object') {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, sub]) =>
      durationSettings(sub, [...path, key]),
    );
  }
  if (schema[Kind] === 'Array') return durationSettings(schema.items as TSchema, [...path, 0]);
  if (schema[Kind] === 'Union') return durationSettings((schema.anyOf as TSchema[])[0]!, path);
  return [];
}

const settings = durationSettings(AgentConfigSchema);
const dir = mkdtempSync(join(tmpdir(), 'bw-agent-durations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config file with one duration set (and a probe when the setting is a probe's). */
function loadWith(path: Path, value: string) {
  const doc: Record<string, unknown> = {};
  if (path[0] === 'probes') {
    doc.probes = [{ name: 'marker', type: 'file', path: '/run/ready', [path[2]!]: value }];
  } else {
    let node = doc;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
  }
  // initial_backoff may not exceed max_backoff (a rule of its own): keep the two apart.
  const retry = (doc.retry ?? {}) as Record<string, unknown>;
  if (path[0] === 'retry') doc.retry = { initial_backoff: '10ms', max_backoff: '1d', ...retry };
  const file = join(dir, `${path.join('-')}.yaml`);
  writeFileSync(file, stringify(doc));
  return () => loadAgentConfig({ file, env: {} });
}

const fieldName = (path: Path) =>
  path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

describe('agent duration ranges', () => {
  it('finds the duration settings', () => {
    expect(settings.map(([p]) => fieldName(p))).toEqual([
      'imds.token_ttl',
      'imds.timeout',
      'imds.budget',
      'collector.timeout',
      'deadline',
      'retry.initial_backoff',
      'retry.max_backoff',
      'retry.budget_after_deadline',
      'heartbeat.interval',
      'probes[0].timeout',
      'probes[0].interval',
    ]);
  });

  it.each(settings.map(([p, r]) => [fieldName(p), p, r] as const))(
    '%s: refuses values outside its range and accepts both ends',
    (name, path, range) => {
      const text = (ms: number) => formatDuration(ms);
      const above = range.maxMs * 2;
      const below = range.minMs / 2;
      for (const value of [text(above), `${below}ms`, '30d', '99999999999999999999d']) {
        const ms = value === '30d' ? 30 * 86_400_000 : null;
        if (ms !== null && ms >= range.minMs && ms <= range.maxMs) continue;
        let error: unknown;
        try {
          loadWith(path, value)();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(BootwatchError);
        expect((error as BootwatchError).message).toContain(
          `${name}: expected a duration from ${text(range.minMs)} to ${text(range.maxMs)}, got '${value}'`,
        );
      }
      expect(loadWith(path, text(range.minMs))).not.toThrow();
      expect(loadWith(path, text(range.maxMs))).not.toThrow();
    },
  );

  it("keeps every range under Node's timer limit", () => {
    for (const [path, range] of settings)
      expect(range.maxMs, fieldName(path)).toBeLessThan(MaxTimerMs);
  });

  it("documents every range in the README's agent section", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const agent = readme.slice(
      readme.indexOf('### Agent configuration'),
      readme.indexOf('## The collector'),
    );
    for (const [path, range] of settings) {
      const key = path[0] === 'probes' ? `\`${path[2]}\`` : `\`${path.join('.')}\``;
      const said = `${formatDuration(range.minMs)} to ${formatDuration(range.maxMs)}`;
      const line = agent.split('\n').find((l) => l.includes(key) && l.includes(said));
      expect(line, `${fieldName(path)}: ${said}`).toBeDefined();
    }
  });
});
