// The verdict of a rollout, as GET /api/v1/rollouts/:id/verdict answers it: the rollout's evidence
// brought up to date (evidence-book.ts), the candidate's SLO figures from the engine's report
// (candidate-slo.ts), the scan gate when the policy asks for one, the state of the previous look,
// then computeVerdict (verdict.ts), whose new state is stored for the next look.
//
// Looks from several pipelines or replicas may race. A look stores its state only over the one
// it started from (saveVerdict's check); the loser looks again from the winner's state. So no
// two looks ever spend from the same ledger, which would break the false-rollback bound.
// A finished rollout is not judged any more: the answer is its last verdict as a canary.
import type { Clock } from '../../shared/clock.js';
import { BootwatchError } from '../../shared/errors.js';
import { instantText } from '../../shared/rfc3339.js';
import type { ScanPolicy } from '../../shared/slo/scan-policy.js';
import { evaluateScanGate } from '../scans/scan-gate.js';
import type { SloReport } from '../slo/report.js';
import type { Store } from '../store/store.js';
import { candidateSlo } from './candidate-slo.js';
import type { EvidenceBook } from './evidence-book.js';
import { resolvePolicy } from './policy.js';
import type { Rollout } from './rollout-model.js';
import { rolloutView, type RolloutView } from './rollout-view.js';
import { computeVerdict } from './verdict.js';
import type { CandidateSlo, Check, ScanGate, SideEvidence, Verdict } from './verdict-model.js';

export interface SideFigures {
  version: string;
  boots: number;
  successes: number;
  failures: number;
  /** failures / boots; null without boots. */
  failureRatio: number | null;
  /** Median time to ready of the successful boots, seconds; null without any. */
  medianReadySeconds: number | null;
}

export interface VerdictAnswer {
  rollout: RolloutView;
  verdict: Verdict;
  checks: Check[];
  notes: string[];
  /** When this verdict was computed (RFC 3339); for a finished rollout, its last look. */
  judgedAt: string;
  judgedAtMs: number;
  /** Per side, what the checks read; null for a finished rollout. */
  evidence: { candidate: SideFigures; baseline: SideFigures | null } | null;
  /** The candidate's SLO figures the checks read; null for a finished rollout. */
  slo: CandidateSlo | null;
}

export interface RolloutJudgeOptions {
  store: Pick<Store, 'rollouts' | 'scans'>;
  evidence: EvidenceBook;
  slo: { report(): Promise<SloReport> };
  scanPolicy: ScanPolicy;
  clock: Clock;
}

/** Looks that lost a race to another look and start again from its state, at most. */
const MaxAttempts = 5;

function figures(version: string, side: SideEvidence): SideFigures {
  const boots = side.successes + side.failures;
  const r = side.readyMs;
  const median = r.length === 0 ? null : (r[(r.length - 1) >> 1]! + r[r.length >> 1]!) / 2000;
  return {
    version,
    boots,
    successes: side.successes,
    failures: side.failures,
    failureRatio: boots === 0 ? null : side.failures / boots,
    medianReadySeconds: median,
  };
}

export class RolloutJudge {
  constructor(private readonly o: RolloutJudgeOptions) {}

  async verdict(id: number): Promise<VerdictAnswer> {
    for (let attempt = 1; ; attempt += 1) {
      const rollout = await this.o.store.rollouts.get(id);
      if (rollout === null) throw new BootwatchError('BW_NOT_FOUND', `no rollout with id ${id}`);
      if (rollout.state !== 'canary') return this.finished(rollout);
      const answer = await this.look(rollout);
      if (answer !== null) return answer;
      if (attempt === MaxAttempts) {
        throw new BootwatchError(
          'BW_STORE_WRITE',
          `rollout ${id}: ${MaxAttempts} looks in a row lost the race to store their verdict; retry`,
        );
      }
    }
  }

  /** One look; null when another look stored its verdict first. */
  private async look(rollout: Rollout): Promise<VerdictAnswer | null> {
    const { store, clock } = this.o;
    const previous = rollout.lastVerdict;
    const policy = resolvePolicy(rollout.policy);
    // Evidence first, then the engine: the engine's figures are at least as recent as the boots.
    await this.o.evidence.refresh(await store.rollouts.list('canary'));
    const sides = this.o.evidence.sides(rollout.id);
    if (sides === undefined) return null; // finished meanwhile: read it again
    const report = await this.o.slo.report();
    const { slo, notes } = candidateSlo(report, rollout.candidate);
    const scan = policy.requireScan ? await this.scanGate(rollout.candidate) : undefined;
    // A look after the previous one, even within its millisecond: saveVerdict tells them apart.
    const nowMs = Math.max(clock.now(), (previous?.atMs ?? -Infinity) + 1);
    const result = computeVerdict({
      candidate: sides.candidate,
      baseline: sides.baseline,
      slo,
      ...(scan !== undefined && { scan }),
      policy,
      startedAtMs: rollout.startedAtMs,
      nowMs,
      state: previous?.state ?? null,
    });
    const stored = {
      verdict: result.verdict,
      atMs: nowMs,
      checks: result.checks,
      notes: [...notes, ...result.notes],
      state: result.state,
    };
    if (!(await store.rollouts.saveVerdict(rollout.id, stored, previous?.atMs ?? null))) {
      return null;
    }
    return {
      rollout: rolloutView({ ...rollout, lastVerdict: stored }),
      verdict: stored.verdict,
      checks: stored.checks,
      notes: stored.notes,
      judgedAt: instantText(nowMs),
      judgedAtMs: nowMs,
      evidence: {
        candidate: figures(rollout.candidate, sides.candidate),
        baseline:
          rollout.baseline === null || sides.baseline === null
            ? null
            : figures(rollout.baseline, sides.baseline),
      },
      slo,
    };
  }

  private async scanGate(version: string): Promise<ScanGate> {
    const [latest] = await this.o.store.scans.history(version, 1);
    const gate = evaluateScanGate(this.o.scanPolicy, latest ?? null, this.o.clock.now());
    return { decision: gate.decision, detail: gate.reasons.join('; ') };
  }

  private finished(rollout: Rollout): VerdictAnswer {
    const last = rollout.lastVerdict;
    const ended = `the rollout is ${rollout.state} (at ${instantText(rollout.finishedAtMs ?? 0)})`;
    if (last === null) {
      throw new BootwatchError(
        'BW_ROLLOUT_CONFLICT',
        `rollout ${rollout.id}: ${ended} and was never judged; a finished rollout is not judged any more`,
      );
    }
    return {
      rollout: rolloutView(rollout),
      verdict: last.verdict,
      checks: last.checks,
      notes: [`${ended}: this is its last verdict as a canary`, ...last.notes],
      judgedAt: instantText(last.atMs),
      judgedAtMs: last.atMs,
      evidence: null,
      slo: null,
    };
  }
}
