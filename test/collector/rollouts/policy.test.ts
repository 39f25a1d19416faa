import { describe, expect, it } from 'vitest';
import { DefaultVerdictPolicy, resolvePolicy } from '../../../collector/rollouts/policy.js';
import { BootwatchError } from '../../../shared/errors.js';

describe('resolvePolicy', () => {
  it('gives the defaults, frozen; the false-rollback budget sums to 2%', () => {
    const p = resolvePolicy();
    expect(p).toEqual(DefaultVerdictPolicy);
    expect(Object.isFrozen(p) && Object.isFrozen(p.falseRollback)).toBe(true);
    const f = p.falseRollback;
    expect(f.bootSuccessVsBaseline + f.bootSuccessVsSlo + f.timeToReady).toBeCloseTo(0.02, 12);
  });

  it('applies overrides, one alpha at a time', () => {
    const p = resolvePolicy({ minBootsPerSide: 20, falseRollback: { timeToReady: 0.02 } });
    expect(p.minBootsPerSide).toBe(20);
    expect(p.falseRollback).toEqual({
      bootSuccessVsBaseline: 0.005,
      bootSuccessVsSlo: 0.005,
      timeToReady: 0.02,
    });
  });

  it.each([
    [{ canaryDurationMs: 0 }, 'canaryDurationMs must be a positive number, got 0'],
    [{ minBootsPerSide: 2.5 }, 'minBootsPerSide must be a whole number >= 1, got 2.5'],
    [
      { falseRollback: { timeToReady: 0.7 } },
      'falseRollback.timeToReady must be a probability between 0 and 0.5, got 0.7',
    ],
    [
      { spending: 'linear' as 'pocock' },
      `spending must be 'pocock' or 'obrien-fleming', got "linear"`,
    ],
    [{ readyToleranceMs: -1 }, 'readyToleranceMs must be a number >= 0, got -1'],
    [{ baselineBreachP: 2 }, 'baselineBreachP must be a probability between 0 and 1, got 2'],
  ])('refuses %j with BW_CONFIG_INVALID naming the field', (overrides, message) => {
    try {
      resolvePolicy(overrides);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BootwatchError);
      expect((e as BootwatchError).code).toBe('BW_CONFIG_INVALID');
      expect((e as BootwatchError).message).toBe(`verdict policy: ${message}`);
    }
  });
});
