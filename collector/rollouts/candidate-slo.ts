// The candidate's SLO figures for the verdict (verdict-model.ts, CandidateSlo), read from the SLO
// engine's report: the figures a pipeline's on-call would look at, for the candidate's version.
// Pure. Several SLOs may speak about one version; the strictest wins:
// - allowed error ratio: 1 - objective of the boot_success SLOs grouped by ami_version (the
//   smallest); without one, of a fleet-wide boot_success SLO, and the notes say so;
// - page alert: any SLO grouped by ami_version whose group of the candidate pages (a group per
//   version and region pages if any region does);
// - budget remaining: the smallest of the candidate's boot_success groups (null without events);
// - readiness: the first time_to_ready SLO (used only without a baseline).
// Example: the built-in SLOs (99.9% boot success, 95% ready within 120 s, by ami_version) give
// { allowedErrorRatio: 0.001, readiness: { thresholdMs: 120000, allowedSlowRatio: 0.05 } }.
import type { SloReport, SloStatus } from '../slo/report.js';
import type { CandidateSlo } from './verdict-model.js';

/** When no SLO says what failure ratio is allowed: 99.9%, the built-in boot-success objective. */
export const FallbackAllowedErrorRatio = 0.001;

export interface CandidateSloFigures {
  slo: CandidateSlo;
  notes: string[];
}

const byVersion = (s: SloStatus) => s.groupBy.includes('ami_version');

export function candidateSlo(report: SloReport, candidate: string): CandidateSloFigures {
  const notes: string[] = [];
  const mine = (s: SloStatus) => s.groups.filter((g) => g.labels.ami_version === candidate);
  const success = report.slos.filter((s) => s.sli === 'boot_success');
  const perVersion = success.filter(byVersion);
  const ratioFrom = perVersion.length > 0 ? perVersion : success;
  let allowedErrorRatio = FallbackAllowedErrorRatio;
  if (ratioFrom.length === 0) {
    notes.push(
      `no boot_success SLO: the candidate's failure ratio is judged against ${FallbackAllowedErrorRatio * 100}% allowed`,
    );
  } else {
    allowedErrorRatio = Math.min(...ratioFrom.map((s) => 1 - s.objective));
    if (perVersion.length === 0) {
      notes.push(
        'no boot_success SLO is grouped by ami_version: the allowed failure ratio is the fleet-wide one, and no burn-rate alert or budget speaks for the candidate alone',
      );
    }
  }
  const paging = report.slos
    .filter(byVersion)
    .filter((s) => mine(s).some((g) => g.alert === 'page'))
    .map((s) => s.name);
  const budgets = perVersion
    .flatMap((s) => mine(s).map((g) => g.budget.remaining))
    .filter((b): b is number => b !== null);
  const ready = report.slos.find((s) => s.sli === 'time_to_ready' && s.thresholdSeconds !== null);
  const slo: CandidateSlo = {
    allowedErrorRatio,
    pageAlertFiring: paging.length > 0,
    budgetRemaining: budgets.length === 0 ? null : Math.min(...budgets),
    ...(ready !== undefined && {
      readiness: {
        thresholdMs: ready.thresholdSeconds! * 1000,
        allowedSlowRatio: 1 - ready.objective,
      },
    }),
  };
  if (paging.length > 0) notes.push(`page alert firing for the candidate: ${paging.join(', ')}`);
  return { slo, notes };
}
