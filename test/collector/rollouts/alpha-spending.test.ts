// Alpha spending over the canary: the spending shapes, and what a look spends and keeps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alphaSpent, look, type LookInput } from '../../../collector/rollouts/alpha-spending.js';

const base: LookInput = {
  alpha: 0.01,
  shape: 'pocock',
  t: 0.5,
  boots: [10, 10],
  p: 0.5,
  alsoRequired: true,
  nowMs: 1_000,
};

describe('alphaSpent', () => {
  it('spends nothing at 0 and all of alpha at the horizon and after', () => {
    for (const shape of ['pocock', 'obrien-fleming'] as const) {
      expect(alphaSpent(0.02, 0, shape)).toBe(0);
      expect(alphaSpent(0.02, 1, shape)).toBe(0.02);
      expect(alphaSpent(0.02, 3, shape)).toBe(0.02);
    }
  });

  it("known values: Pocock-type at t = 0.5, O'Brien-Fleming-type at t = 0.5", () => {
    // scipy: 0.02 * log(1 + (e - 1) * 0.5); 2 * norm.sf(norm.isf(0.01) / sqrt(0.5))
    expect(alphaSpent(0.02, 0.5, 'pocock')).toBeCloseTo(0.01240229013916555, 15);
    expect(alphaSpent(0.02, 0.5, 'obrien-fleming')).toBeCloseTo(0.001002042203701685, 15);
  });

  it('never decreases in t and never exceeds alpha', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-4, max: 0.4, noNaN: true }),
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        fc.constantFrom('pocock' as const, 'obrien-fleming' as const),
        (alpha, a, b, shape) => {
          const [t1, t2] = a <= b ? [a, b] : [b, a];
          expect(alphaSpent(alpha, t1, shape)).toBeLessThanOrEqual(alphaSpent(alpha, t2, shape));
          expect(alphaSpent(alpha, t2, shape)).toBeLessThanOrEqual(alpha);
        },
      ),
    );
  });
});

describe('look', () => {
  it('spends the share due by t, tests at it, and keeps the total under alpha', () => {
    let ledger;
    let total = 0;
    for (let minute = 1; minute <= 150; minute += 1) {
      const r = look(ledger, { ...base, t: minute / 120, boots: [minute, minute] });
      total += r.level;
      ledger = r.ledger;
    }
    expect(total).toBeCloseTo(0.01, 12);
    expect(ledger!.spent).toBeCloseTo(0.01, 12);
  });

  it('a look without new boots spends nothing; the next one gets its share', () => {
    const first = look(undefined, { ...base, t: 0.1 });
    const idle = look(first.ledger, { ...base, t: 0.2 });
    expect(idle.tested).toBe(false);
    expect(idle.level).toBe(0);
    expect(idle.ledger).toEqual(first.ledger);
    const next = look(idle.ledger, { ...base, t: 0.3, boots: [11, 10] });
    expect(next.level).toBeCloseTo(alphaSpent(0.01, 0.3, 'pocock') - first.level, 15);
  });

  it('rejects when p is at most the level and the other condition holds; the rejection stands', () => {
    const held = look(undefined, { ...base, p: 1e-9, alsoRequired: false });
    expect(held.rejected).toBe(false);
    const r = look(held.ledger, { ...base, t: 0.6, boots: [11, 11], p: 1e-9 });
    expect(r.rejected).toBe(true);
    expect(r.ledger.rejectedAtMs).toBe(1_000);
    const later = look(r.ledger, { ...base, t: 0.7, boots: [12, 12], p: 0.9, nowMs: 5_000 });
    expect(later.rejected).toBe(true);
    expect(later.ledger.rejectedAtMs).toBe(1_000);
  });

  it('does not reject at a p above the level', () => {
    const r = look(undefined, { ...base, p: 0.009 });
    expect(r.level).toBeLessThan(0.009);
    expect(r.rejected).toBe(false);
  });
});
