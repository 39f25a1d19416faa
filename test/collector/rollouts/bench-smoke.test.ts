// The verdict benchmarks still run (small sizes) and print their tables.
import { describe, expect, it } from 'vitest';
import { benchVerdict, formatVerdictBench } from '../../../bench/verdict-bench.js';
import {
  AcceptanceScenarios,
  formatVerdictSim,
  simulateScenario,
  ValidityScenarios,
} from '../../../bench/verdict-sim.js';

describe('bench/verdict-*.ts', () => {
  it('times the kept and the naive verdict', () => {
    const r = benchVerdict(2_000, 3);
    expect(r.incrementalMs.n).toBe(3);
    expect(r.naiveMs.n).toBe(3);
    expect(r.verdict).toBe('promote');
    expect(formatVerdictBench(r).join('\n')).toContain('| ratio naive / kept |');
  });

  it('simulates each scenario and counts what fixed-level tests would do', () => {
    const rows = [AcceptanceScenarios[1]!, ValidityScenarios[0]!].map((s) =>
      simulateScenario(s, 3, 1, {}, true),
    );
    expect(rows[0]!.naiveRolledBack).not.toBeNull();
    const table = formatVerdictSim(rows).join('\n');
    expect(table).toContain(
      '| candidate 5% failures against 0.1%, 200 boots per side | rollback at least 95% |',
    );
  });
});
