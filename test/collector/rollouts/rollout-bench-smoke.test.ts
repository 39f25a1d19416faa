// bench/rollout-verdict-bench.ts still runs (a small size) and prints its table; the kept and the
// naive verdict count the same boots at every look. No timing is asserted.
import { expect, it } from 'vitest';
import {
  benchRolloutVerdict,
  formatRolloutVerdictBench,
} from '../../../bench/rollout-verdict-bench.js';

it('times the kept and the naive verdict from the store', async () => {
  const r = await benchRolloutVerdict(300, 3);
  expect(r).not.toBeNull();
  expect(r!.keptMs.n).toBe(3);
  expect(r!.naiveMs.n).toBe(3);
  expect(r!.verdict).toBe('promote');
  expect(r!.agreed).toBe(true);
  expect(formatRolloutVerdictBench(r!).join('\n')).toContain('| ratio naive / kept |');
});
