// The SLO benchmark still runs (a small size): it generates data the engine and the naive scan
// agree on the shape of, and reports figures for every size asked.
import { describe, expect, it } from 'vitest';
import { benchSlo, formatSloBench } from '../../../bench/slo-bench.js';
import { simulateSparse } from '../../../bench/slo-sparse-sim.js';

describe('bench/slo-bench.ts', () => {
  it('measures the engine beside the naive scan', async () => {
    const result = await benchSlo({ sizes: [3_000], evaluations: 2, naiveRuns: 1 });
    expect(result.slos).toBe(10);
    const [size] = result.sizes;
    expect(size!.boots).toBe(3_000);
    expect(size!.rollupRows).toBeGreaterThan(0);
    expect(size!.groups).toBeGreaterThan(100);
    expect(size!.evaluationMs.n).toBe(2);
    expect(formatSloBench(result).join('\n')).toContain('| 3,000 |');
  });

  it('simulates the sparse rule over seeds', () => {
    const [row] = simulateSparse(2, [3]);
    expect(row).toMatchObject({ arrivals: 'even', z: 3, runs: 2 });
    expect(row!.badPagedWithin15m).toBeLessThanOrEqual(2);
  });
});
