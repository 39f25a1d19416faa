import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CloudInitStages,
  parseResultJson,
  parseStatusJson,
  stateFromStatus,
  type CloudInitState,
} from '../../agent/cloud-init-status.js';
import { isBootwatchError } from '../../shared/errors.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/real/cloud-init/${name}`, import.meta.url), 'utf8');

const source = { status: '/run/cloud-init/status.json', result: null, log: null };

function state(status: object | string, result?: object | string, kernelBootMs?: number) {
  const text = typeof status === 'string' ? status : JSON.stringify(status);
  const parsed = parseStatusJson(text, { kernelBootMs });
  const res =
    result === undefined
      ? null
      : parseResultJson(typeof result === 'string' ? result : JSON.stringify(result));
  return stateFromStatus(parsed, res, source);
}

function stageMs(s: CloudInitState) {
  return Object.fromEntries(
    CloudInitStages.map((n) => [n, [s.stages[n].startMs, s.stages[n].finishMs]]),
  );
}

const stage = (start: number | null, finished: number | null, errors: string[] = []) => ({
  errors,
  finished,
  start,
});

describe('status.json of cloud-init 19.4 (real, EC2 local datasource, done)', () => {
  const s = state(
    fixture('status-19.4-ec2local-done.json'),
    fixture('result-19.4-ec2local-done.json'),
  );

  it('is done, with every stage in epoch milliseconds', () => {
    expect(s.state).toBe('done');
    expect(s.complete).toBe(true);
    expect(s.degraded).toBe(false);
    expect(s.currentStage).toBeNull();
    expect(stageMs(s)).toEqual({
      'init-local': [1595990805566, 1595990805982],
      init: [1595990807791, 1595990808251],
      'modules-config': [1595990812151, 1595990812263],
      'modules-final': [1595990813193, 1595990813311],
    });
    expect(s.finishedAtMs).toBe(1595990813311);
    expect(new Date(s.finishedAtMs!).toISOString()).toBe('2020-07-29T02:46:53.311Z');
  });

  it('keeps the datasource, no errors, and says where the values came from', () => {
    expect(s.datasource).toBe('DataSourceEc2Local');
    expect(s.errors).toEqual([]);
    expect(s.recoverableErrors).toEqual([]);
    expect(s.source).toEqual({ ...source, timeBase: 'epoch' });
    expect(s.notes).toEqual([]);
  });

  it('reads result.json on its own', () => {
    expect(parseResultJson(fixture('result-19.4-ec2local-done.json'))).toEqual({
      datasource: 'DataSourceEc2Local',
      errors: [],
    });
  });
});

describe('status.json of cloud-init 24.1.3 (real, DataSourceNone, degraded)', () => {
  const s = state(fixture('status-24.1.3-datasourcenone-degraded.json'));

  it('is done without result.json because modules-final finished and no stage runs', () => {
    expect(s.state).toBe('done');
    expect(s.complete).toBe(true);
    expect(s.finishedAtMs).toBe(1716829664833);
    expect(s.stages['init-local']).toEqual({ startMs: 1716829649698, finishMs: 1716829650645 });
  });

  it('is degraded and keeps each recoverable error with its stage and level', () => {
    expect(s.degraded).toBe(true);
    expect(s.errors).toEqual([]);
    expect(s.recoverableErrors).toEqual([
      {
        stage: 'init',
        level: 'WARNING',
        message:
          "Device '/dev/192.168.0.12:/rpi' did not exist. cannot resize: dev=192.168.0.12:/rpi mnt_point=/ path=/",
      },
      { stage: 'modules-final', level: 'WARNING', message: 'Used fallback datasource' },
    ]);
    expect(s.datasource).toBe('DataSourceNone');
  });
});

describe('synthetic status.json of each version', () => {
  const t0 = 1_700_000_000; // epoch seconds

  it('19.x: modules-init that did not run is ignored; errors it reports count', () => {
    const doc = {
      v1: {
        datasource: 'DataSourceEc2',
        'init-local': stage(t0 + 1, t0 + 2),
        init: stage(t0 + 3, t0 + 4),
        'modules-init': stage(null, null, ['legacy module failed']),
        'modules-config': stage(t0 + 5, t0 + 6),
        'modules-final': stage(t0 + 7, t0 + 8.5),
        stage: null,
      },
    };
    const s = state(doc);
    expect(s.state).toBe('error');
    expect(s.errors).toEqual([{ stage: 'modules-init', message: 'legacy module failed' }]);
    expect(Object.keys(s.stages)).toEqual([...CloudInitStages]);
    expect(s.finishedAtMs).toBe((t0 + 8.5) * 1000);
  });

  it('22.x in modules-config: running, in that stage, later stages not started', () => {
    const doc = {
      v1: {
        datasource: 'DataSourceEc2Local',
        'init-local': stage(t0 + 1, t0 + 2),
        init: stage(t0 + 3, t0 + 4),
        'modules-init': stage(null, null),
        'modules-config': stage(t0 + 5, null),
        'modules-final': stage(null, null),
        stage: 'modules-config',
      },
    };
    const s = state(doc);
    expect(s.state).toBe('running');
    expect(s.complete).toBe(false);
    expect(s.currentStage).toBe('modules-config');
    expect(s.stages['modules-config']).toEqual({ startMs: (t0 + 5) * 1000, finishMs: null });
    expect(s.stages['modules-final']).toEqual({ startMs: null, finishMs: null });
    expect(s.finishedAtMs).toBeNull();
  });

  it('between stages (stage null, modules-final not started) is still running', () => {
    const doc = {
      v1: {
        'init-local': stage(t0 + 1, t0 + 2),
        init: stage(t0 + 3, t0 + 4),
        'modules-config': stage(null, null),
        'modules-final': stage(null, null),
        stage: null,
      },
    };
    expect(state(doc).state).toBe('running');
    expect(state(doc).currentStage).toBeNull();
    expect(state(doc).datasource).toBeNull();
  });

  it('23.4: recoverable_errors of every level are kept; done is degraded', () => {
    const doc = {
      v1: {
        datasource: 'DataSourceEc2',
        'init-local': { ...stage(t0 + 1, t0 + 2), recoverable_errors: {} },
        init: {
          ...stage(t0 + 3, t0 + 4),
          recoverable_errors: { DEPRECATED: ['Key "x" is deprecated'], WARNING: ['w1', 'w2'] },
        },
        'modules-config': { ...stage(t0 + 5, t0 + 6), recoverable_errors: { ERROR: ['e1'] } },
        'modules-final': { ...stage(t0 + 7, t0 + 8), recoverable_errors: {} },
        stage: null,
      },
    };
    const s = state(doc);
    expect(s.state).toBe('done');
    expect(s.degraded).toBe(true);
    expect(s.recoverableErrors.map((r) => `${r.stage}/${r.level}/${r.message}`)).toEqual([
      'init/DEPRECATED/Key "x" is deprecated',
      'init/WARNING/w1',
      'init/WARNING/w2',
      'modules-config/ERROR/e1',
    ]);
  });

  it('24.2+: seconds since boot are added to the kernel boot time', () => {
    const kernelBootMs = 1_790_000_000_000;
    const doc = {
      v1: {
        datasource: 'DataSourceEc2',
        'init-local': stage(9.84, 9.961),
        init: stage(11.1, 14.775),
        'modules-config': stage(14.9, 15.008),
        'modules-final': stage(15.03, 15.253),
        stage: null,
      },
    };
    const s = state(doc, { v1: { datasource: 'DataSourceEc2', errors: [] } }, kernelBootMs);
    expect(s.source.timeBase).toBe('since_boot');
    expect(s.stages['init-local']).toEqual({
      startMs: kernelBootMs + 9840,
      finishMs: kernelBootMs + 9961,
    });
    expect(s.stages.init).toEqual({
      startMs: kernelBootMs + 11100,
      finishMs: kernelBootMs + 14775,
    });
    expect(s.finishedAtMs).toBe(kernelBootMs + 15253);
    expect(s.state).toBe('done');
  });

  it('24.2+ without a kernel boot time: times unknown with a note, the state still known', () => {
    const doc = {
      v1: {
        'init-local': stage(9.84, 9.961),
        init: stage(11.1, 14.775),
        'modules-config': stage(14.9, 15.008),
        'modules-final': stage(15.03, 15.253),
        stage: null,
      },
    };
    const s = state(doc);
    expect(s.state).toBe('done');
    expect(s.complete).toBe(true);
    expect(s.stages.init).toEqual({ startMs: null, finishMs: null });
    expect(s.finishedAtMs).toBeNull();
    expect(s.notes).toContain(
      'status.json: init-local.start is 9.84 s since boot, and no kernel boot time was given',
    );
  });

  it("without init-local, the previous boot's later stages are leftovers, not this boot's", () => {
    const kernelBootMs = (t0 + 3600) * 1000;
    const doc = {
      v1: {
        datasource: 'DataSourceEc2',
        init: stage(t0 + 3610, t0 + 3615),
        'modules-config': stage(t0 + 5, t0 + 6),
        'modules-final': stage(t0 + 7, t0 + 8),
        stage: null,
      },
    };
    const s = state(doc, undefined, kernelBootMs);
    expect(s.state).toBe('running');
    expect(s.complete).toBe(false);
    expect(s.stages['modules-final']).toEqual({ startMs: null, finishMs: null });
    expect(s.stages.init).toEqual({ startMs: (t0 + 3610) * 1000, finishMs: (t0 + 3615) * 1000 });
    expect(s.notes).toEqual([
      'status.json: modules-config started before this boot (a leftover), ignored',
      'status.json: modules-final started before this boot (a leftover), ignored',
    ]);
  });

  it('error: a stage error is an error at once, even while later stages run', () => {
    const doc = {
      v1: {
        'init-local': stage(t0 + 1, t0 + 2),
        init: stage(t0 + 3, t0 + 4, ["('ssh', ProcessExecutionError(...))"]),
        'modules-config': stage(t0 + 5, null),
        'modules-final': stage(null, null),
        stage: 'modules-config',
      },
    };
    const s = state(doc);
    expect(s.state).toBe('error');
    expect(s.complete).toBe(false);
    expect(s.currentStage).toBe('modules-config');
    expect(s.errors).toEqual([{ stage: 'init', message: "('ssh', ProcessExecutionError(...))" }]);
  });

  it('result.json errors join the stage errors once each', () => {
    const doc = {
      v1: {
        'init-local': stage(t0 + 1, t0 + 2),
        init: stage(t0 + 3, t0 + 4, ['e-init']),
        'modules-config': stage(t0 + 5, t0 + 6),
        'modules-final': stage(t0 + 7, t0 + 8),
        stage: null,
      },
    };
    const s = state(doc, { v1: { datasource: 'DataSourceEc2', errors: ['e-init', 'e-other'] } });
    expect(s.errors).toEqual([
      { stage: 'init', message: 'e-init' },
      { stage: null, message: 'e-other' },
    ]);
    expect(s.datasource).toBe('DataSourceEc2');
    expect(s.source.result).toBeNull(); // the caller names the result file; see cloud-init.ts
  });

  it('the `cloud-init status --format json` shape: top-level status and errors are honoured', () => {
    const doc = {
      v1: {
        boot_status_code: 'enabled-by-generator',
        datasource: 'ec2',
        errors: ['top-level error'],
        extended_status: 'error - done',
        recoverable_errors: { WARNING: ['w'] },
        status: 'error',
        'init-local': { ...stage(t0 + 1, t0 + 2), recoverable_errors: { WARNING: ['w'] } },
        init: stage(t0 + 3, t0 + 4),
        'modules-config': stage(t0 + 5, t0 + 6),
        'modules-final': stage(t0 + 7, t0 + 8),
        stage: null,
      },
    };
    const s = state(doc);
    expect(s.state).toBe('error');
    expect(s.errors).toEqual([{ stage: null, message: 'top-level error' }]);
    expect(s.recoverableErrors).toEqual([{ stage: 'init-local', level: 'WARNING', message: 'w' }]);
  });

  it('a reported disabled status is disabled', () => {
    expect(state({ v1: { status: 'disabled', stage: null } }).state).toBe('disabled');
  });

  it('odd values inside v1 become notes, not failures', () => {
    const doc = {
      v1: {
        'init-local': stage(t0 + 1, t0 + 2),
        init: 'nonsense',
        'modules-config': { start: 'yesterday', finished: -4, errors: [] },
        'modules-final': stage(null, null),
        stage: 'modules-unknown',
      },
    };
    const s = state(doc);
    expect(s.state).toBe('running');
    expect(s.notes).toEqual([
      'status.json: v1["init"] is "nonsense", expected an object',
      'status.json: modules-config.start is "yesterday", expected seconds or null',
      'status.json: modules-config.finished is -4, expected seconds or null',
      'status.json: v1.stage is "modules-unknown", not a known stage',
    ]);
  });

  it('mixed time bases are converted value by value and reported as mixed', () => {
    const doc = { v1: { init: stage(t0 + 3, 12.5), stage: null } };
    const s = state(doc, undefined, 1_000_000_000_000);
    expect(s.stages.init).toEqual({ startMs: (t0 + 3) * 1000, finishMs: 1_000_000_012_500 });
    expect(s.source.timeBase).toBe('mixed');
  });
});

describe('garbage', () => {
  it('text that is not JSON is BW_CLOUD_INIT_PARSE naming the file', () => {
    try {
      parseStatusJson('{"v1": {', { file: '/run/cloud-init/status.json' });
      expect.unreachable();
    } catch (e) {
      expect(isBootwatchError(e, 'BW_CLOUD_INIT_PARSE')).toBe(true);
      expect((e as Error).message).toMatch(/^\/run\/cloud-init\/status\.json: expected JSON/);
    }
  });

  it('JSON without a v1 object is BW_CLOUD_INIT_PARSE saying what it got', () => {
    expect(() => parseStatusJson('{"v2": {}}')).toThrow(
      'status.json: expected {"v1": {"datasource", "init-local", "init", ...}}, got an object with keys [v2]',
    );
    expect(() => parseResultJson('[1]')).toThrow(
      'result.json: expected {"v1": {"datasource", "errors": [...]}}, got object',
    );
    expect(() => parseResultJson('')).toThrow(/result\.json: expected JSON/);
  });
});

describe('property: both time conventions give the same stage times', () => {
  it('epoch seconds and seconds since boot of the same instants agree to the millisecond', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_300_000_000, max: 2_100_000_000 }), // btime, epoch seconds
        fc.array(fc.integer({ min: 0, max: 86_400_000 }), { minLength: 8, maxLength: 8 }),
        (btime, offsetsMs) => {
          const sorted = [...offsetsMs].sort((a, b) => a - b);
          const encode = (base: number) => {
            const v1: Record<string, unknown> = { stage: null };
            CloudInitStages.forEach((name, i) => {
              v1[name] = stage(base + sorted[2 * i]! / 1000, base + sorted[2 * i + 1]! / 1000);
            });
            return JSON.stringify({ v1 });
          };
          const kernelBootMs = btime * 1000;
          const epoch = parseStatusJson(encode(btime), { kernelBootMs });
          const sinceBoot = parseStatusJson(encode(0), { kernelBootMs });
          CloudInitStages.forEach((name, i) => {
            const want = [kernelBootMs + sorted[2 * i]!, kernelBootMs + sorted[2 * i + 1]!];
            for (const parsed of [epoch, sinceBoot]) {
              const got = [parsed.stages[name].startMs!, parsed.stages[name].finishMs!];
              expect(Math.abs(got[0]! - want[0]!)).toBeLessThanOrEqual(1);
              expect(Math.abs(got[1]! - want[1]!)).toBeLessThanOrEqual(1);
            }
          });
        },
      ),
    );
  });
});
