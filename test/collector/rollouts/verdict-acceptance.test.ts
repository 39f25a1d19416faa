// Issue 12's acceptance, with fixed seeds and no timing: a 2-hour canary polled every simulated
// minute, boots arriving as Poisson processes, times to ready log-normal (bench/verdict-sim.ts).
// 500 seeds per row; the bench runs the same rows with more seeds for the README.
import { describe, expect, it } from 'vitest';
import { AcceptanceScenarios, simulateScenario } from '../../../bench/verdict-sim.js';

const Seeds = 500;

describe('rollout verdicts over 500 seeded canaries', () => {
  it.each(AcceptanceScenarios.map((s) => [s.name, s] as const))(
    '%s',
    (_name, scenario) => {
      const row = simulateScenario(scenario, Seeds);
      const share = row.rolledBack / Seeds;
      const asked = scenario.expect!;
      if (asked.rollback === 'at most') expect(share).toBeLessThanOrEqual(asked.share);
      else expect(share).toBeGreaterThanOrEqual(asked.share);
    },
    60_000,
  );
});
