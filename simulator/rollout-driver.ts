// The simulated release pipeline: for each rollout of the scenario, it starts the canary through
// the API at its time (POST /api/v1/rollouts, startedAt the simulated time), asks for the verdict
// every simulated minute (GET /api/v1/rollouts/:id/verdict), as a pipeline step polling it would,
// and does what the verdict says: promote (POST .../promote) or roll back (POST .../rollback).
// The scenario's traffic does not follow the pipeline (launches are planned ahead); the demo's
// traffic is laid out so that it matches what the pipeline decides.
import type { VerdictAnswer } from '../collector/rollouts/rollout-judge.js';
import { instantText } from '../shared/rfc3339.js';
import { rolloutCall, type CollectorTarget } from './collector-client.js';
import type { ScenarioRollout } from './scenario-schema.js';

export interface RolloutRun {
  name: string;
  /** The rollout's id once started; null before. */
  id: number | null;
  /** The verdict the pipeline acted on (or the last one, while it holds). */
  answer: VerdictAnswer | null;
  /** What the pipeline did. */
  state: 'not started' | 'canary' | 'promoted' | 'rolled_back';
}

export class RolloutDriver {
  readonly runs: RolloutRun[];

  constructor(
    private readonly target: CollectorTarget,
    private readonly rollouts: readonly ScenarioRollout[],
    private readonly startMs: number,
  ) {
    this.runs = rollouts.map((r) => ({
      name: r.name,
      id: null,
      answer: null,
      state: 'not started',
    }));
  }

  /** The simulated times at which the pipeline acts: every minute from each rollout's start. */
  ticks(endMs: number, tickMs: number): number[] {
    const out: number[] = [];
    for (const r of this.rollouts) {
      for (let t = this.startMs + r.atMs; t <= endMs; t += tickMs) out.push(t);
    }
    return out;
  }

  /** What the pipeline does at simulated time `nowMs` (the collector's clock is there). */
  async tick(nowMs: number): Promise<void> {
    for (const [i, r] of this.rollouts.entries()) {
      const run = this.runs[i]!;
      const atMs = this.startMs + r.atMs;
      if (run.state === 'not started' && nowMs >= atMs) {
        const answer = await rolloutCall(this.target, 'POST', '/api/v1/rollouts', 201, {
          candidate: r.candidate,
          baseline: r.baseline,
          scope: { asgs: [r.asg] },
          startedAt: instantText(atMs),
          policy: r.policy,
        });
        run.id = (answer.rollout as { id: number }).id;
        run.state = 'canary';
      }
      if (run.state !== 'canary' || run.id === null) continue;
      const path = `/api/v1/rollouts/${run.id}`;
      run.answer = (await rolloutCall(
        this.target,
        'GET',
        `${path}/verdict`,
        200,
      )) as unknown as VerdictAnswer;
      const verdict = run.answer.verdict;
      if (verdict === 'hold') continue;
      const action = verdict === 'promote' ? 'promote' : 'rollback';
      await rolloutCall(this.target, 'POST', `${path}/${action}`, 200, {
        note: `the simulated pipeline obeyed the verdict ${verdict}`,
      });
      run.state = verdict === 'promote' ? 'promoted' : 'rolled_back';
    }
  }
}
