// One validation for every consumer of an SLO: what `bootwatch slo validate` accepts, `bootwatch
// generate rules` and `generate dashboards` turn into files; what they cannot turn into files,
// `slo validate` refuses, naming the file, the line and the field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildRuleFile, DefaultLinks } from '../../../alerts/generate-rules.js';
import { runGenerateCommand } from '../../../cli/generate-command.js';
import { runSloCommand } from '../../../cli/slo-command.js';
import { CounterFamilies } from '../../../collector/store/counter-families.js';
import { buildDashboards } from '../../../dashboards/generate-dashboards.js';
import { TimeToReadyBuckets } from '../../../shared/conventions.js';
import { isBootwatchError } from '../../../shared/errors.js';
import { checkSloDocuments } from '../../../shared/slo/load.js';
import {
  DefaultSparseRule,
  GroupByLabels,
  SliKinds,
  TimeToReadyGroupBy,
  type Slo,
} from '../../../shared/slo/model.js';
import { defaultTiers, tierFor } from '../../../shared/slo/tiers.js';
import { assertValidSlos, validateSlos } from '../../../shared/slo/validate.js';

const HourMs = 3_600_000;
const DayMs = 24 * HourMs;

let dirs: string[] = [];
afterEach(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
  vi.restoreAllMocks();
});

function sloFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bw-one-validation-'));
  dirs.push(dir);
  const file = join(dir, 'slos.yaml');
  writeFileSync(file, text);
  return file;
}

/** Runs a CLI command, returning its exit code (or the error code it threw) and what it printed. */
async function run(
  command: () => Promise<number>,
): Promise<{ code: number | string; out: string }> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((m: string) => lines.push(m));
  vi.spyOn(console, 'error').mockImplementation((m: string) => lines.push(m));
  try {
    return { code: await command(), out: lines.join('\n') };
  } catch (e) {
    return { code: isBootwatchError(e) ? e.code : String(e), out: lines.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
}

const ByInstanceType = `slos:
  - name: ready-by-type
    sli: time_to_ready
    threshold: 120s
    objective: 95
    group_by: [ami_version, instance_type]
`;

describe('one SLO validation', () => {
  it('refuses, in slo validate, the time_to_ready SLO by instance_type that generate rules cannot write', async () => {
    const file = sloFile(ByInstanceType);
    const validate = await run(() => runSloCommand(['validate', file]));
    expect(validate.code).toBe(1);
    expect(validate.out).toContain(
      `${file}:6: slos[0].group_by: time_to_ready groups by the labels of the time-to-ready histogram, ` +
        'which the generated Prometheus rules read: expected some of [ami_version, region, asg], ' +
        'got [ami_version, instance_type] (instance_type is not one)',
    );
    const out = join(file, '..', 'out');
    for (const target of ['rules', 'dashboards']) {
      const generate = await run(() =>
        runGenerateCommand([target, '--slo-file', file, '--out', out]),
      );
      expect(generate.code).toBe('BW_SLO_INVALID');
    }
  });

  it('lets through to the generators what slo validate accepts (and the same file by region)', async () => {
    const file = sloFile(ByInstanceType.replace('instance_type', 'region'));
    expect((await run(() => runSloCommand(['validate', file]))).code).toBe(0);
    const out = join(file, '..', 'out');
    for (const target of ['rules', 'dashboards']) {
      expect(
        (await run(() => runGenerateCommand([target, '--slo-file', file, '--out', out]))).code,
      ).toBe(0);
    }
  });

  it('refuses an SLO window that is not whole hours: the rules sum the budget from 1h slices', () => {
    const { problems } = checkSloDocuments(
      'slos:\n  - name: short\n    sli: boot_success\n    objective: 99\n    window: 25h30m\n    alerting:\n      tiers: [{ severity: page, long_window: 1h, short_window: 5m, budget_consumed: 10 }]\n',
      'w.yaml',
    );
    expect(problems).toEqual([
      'w.yaml:5: slos[0].window: expected whole hours and at least 1h (the budget is summed from 1h slices), got 1d1h30m',
    ]);
  });

  it('refuses two tiers of the same severity and windows: they would record the same series', () => {
    const { problems } = checkSloDocuments(
      [
        'slos:',
        '  - name: twice',
        '    sli: boot_success',
        '    objective: 99.9',
        '    alerting:',
        '      tiers:',
        '        - { severity: page, long_window: 1h, short_window: 5m, budget_consumed: 2 }',
        '        - { severity: page, long_window: 1h, short_window: 5m, budget_consumed: 5 }',
        '',
      ].join('\n'),
      't.yaml',
    );
    expect(problems).toEqual([
      't.yaml:8: slos[0].alerting.tiers[1]: expected one tier per severity and pair of windows, got a second page 1h/5m (the same as tier 0, counting from 0)',
    ]);
  });

  it('knows the labels the collector gives its time-to-ready histogram', () => {
    expect(CounterFamilies.timeToReady.labels).toEqual(
      expect.arrayContaining([...TimeToReadyGroupBy]),
    );
    for (const label of GroupByLabels.filter((l) => !TimeToReadyGroupBy.includes(l))) {
      expect(CounterFamilies.timeToReady.labels).not.toContain(label);
    }
  });

  it('whatever the SLO, the generators accept what validation accepts (property)', () => {
    const slo = fc.record({
      sli: fc.constantFrom(...SliKinds),
      threshold: fc.option(fc.constantFrom(...TimeToReadyBuckets, 100), { nil: null }),
      objective: fc.constantFrom(0.9, 0.99, 0.999, 0.9995),
      windowMs: fc.constantFrom(25.5 * HourMs, HourMs * 36, 7 * DayMs, 28 * DayMs, 30 * DayMs),
      groupBy: fc.subarray([...GroupByLabels]),
    });
    fc.assert(
      fc.property(fc.array(slo, { minLength: 1, maxLength: 3 }), (drafts) => {
        const slos: Slo[] = drafts.map((d, i) => ({
          name: `slo-${i}`,
          description: '',
          sli: d.sli,
          thresholdSeconds: d.threshold,
          objective: d.objective,
          windowMs: d.windowMs,
          groupBy: d.groupBy,
          tiers:
            d.windowMs > 3 * DayMs
              ? defaultTiers(d.windowMs)
              : [
                  tierFor(
                    {
                      severity: 'page',
                      longWindowMs: HourMs,
                      shortWindowMs: 300_000,
                      budgetConsumed: 0.05,
                    },
                    d.windowMs,
                  ),
                ],
          sparse: { ...DefaultSparseRule },
          source: 'property',
        }));
        const valid = validateSlos(slos).length === 0;
        const generates = (() => {
          try {
            buildRuleFile(slos, { links: DefaultLinks });
            buildDashboards(slos);
            return true;
          } catch {
            return false;
          }
        })();
        expect(generates).toBe(valid);
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  it('assertValidSlos lists every problem under BW_SLO_INVALID', () => {
    const bad: Slo = {
      name: 'Bad Name',
      description: '',
      sli: 'time_to_ready',
      thresholdSeconds: 100,
      objective: 0.95,
      windowMs: 30 * DayMs,
      groupBy: ['ami_id'],
      tiers: defaultTiers(30 * DayMs),
      source: 'code',
    };
    expect(() => assertValidSlos([bad])).toThrow(/BW_SLO_INVALID|3 problems/);
    try {
      assertValidSlos([bad]);
    } catch (e) {
      expect(isBootwatchError(e) && e.code).toBe('BW_SLO_INVALID');
      expect((e as Error).message.split('\n')).toHaveLength(4);
    }
  });
});
