// The verdict's inputs and outputs as plain data. The inputs are what per-boot rows give once
// filtered by version and scope: per side, the boots that succeeded and failed, and the time to
// ready of each successful boot in ms, sorted. The state is what the verdict keeps between polls:
// a few numbers per test, JSON as it is.
import type { TestLedger } from './alpha-spending.js';
import type { VerdictPolicy } from './policy.js';

/** One version's boots in the rollout's scope, since the rollout started. */
export interface SideEvidence {
  successes: number;
  failures: number;
  /** Time to ready of each successful boot, ms, sorted ascending (sorted-sample.ts keeps it so). */
  readyMs: Float64Array;
}

/** What the SLO engine says about the candidate version. */
export interface CandidateSlo {
  /** 1 - objective of its boot-success SLO (0.001 for 99.9%). */
  allowedErrorRatio: number;
  /** Whether a page-severity burn-rate alert fires for the candidate. */
  pageAlertFiring: boolean;
  /** Share of its error budget left (budget.ts); null without events. */
  budgetRemaining: number | null;
  /** Its time-to-ready SLO, used when there is no baseline to compare with. */
  readiness?: { thresholdMs: number; allowedSlowRatio: number };
}

/** The image scan's vulnerability gate (M5). */
export interface ScanGate {
  decision: 'pass' | 'fail' | 'no_scan';
  detail?: string;
}

export type TestName = 'bootSuccessVsBaseline' | 'bootSuccessVsSlo' | 'timeToReady';

export interface VerdictState {
  version: 1;
  tests: Partial<Record<TestName, TestLedger>>;
  /** The last Hodges-Lehmann shift, ms: where the next look starts its search. */
  lastShiftMs: number | null;
  /** A rollback stands once decided: when, and by which checks. */
  rollback: { atMs: number; checks: string[] } | null;
}

export interface VerdictInput {
  candidate: SideEvidence;
  /** null: a first version, or no baseline boots in scope. */
  baseline: SideEvidence | null;
  slo: CandidateSlo;
  scan?: ScanGate;
  policy: Readonly<VerdictPolicy>;
  startedAtMs: number;
  nowMs: number;
  /** The state the previous look returned; null at the first look. */
  state: VerdictState | null;
}

export type Decision = 'pass' | 'hold' | 'rollback' | 'skip';

export interface SequentialFigures {
  /** One-sided p-value at this look. */
  p: number;
  /** The level this look tested at (0: no new boots, or the horizon passed). */
  level: number;
  /** alpha spent so far, of `alpha`. */
  spent: number;
  alpha: number;
  /** Whether the rollback's other condition holds (effect above tolerance, ratio above allowed, baseline within the SLO). */
  conditionMet: boolean;
  rejectedAtMs: number | null;
}

export interface Check {
  name: string;
  /** The figure a person compares with the threshold, in `unit`. */
  figure: number | null;
  threshold: number | null;
  unit: 'ratio' | 's' | 'boots' | 'min' | 'firing';
  decision: Decision;
  detail: string;
  /** For the statistical tests: the significance behind the decision. */
  sequential?: SequentialFigures;
}

export type Verdict = 'promote' | 'hold' | 'rollback';

export interface VerdictResult {
  verdict: Verdict;
  checks: Check[];
  notes: string[];
  state: VerdictState;
}
