// What a spec parser hands to validation: the SLO in the model's shape and where each of its
// fields was written, so that a rule checked on the model (validate.ts) still names the line.
import type { GroupByLabel, Slo, SliKind } from './model.js';
import type { TierSpec } from './tiers.js';

export type SloField =
  'slo' | 'name' | 'sli' | 'threshold' | 'objective' | 'window' | 'groupBy' | 'tiers' | 'sparse';

export interface SloDraft {
  slo: Slo;
  /** `file:line` per field; 'slo' is the SLO's own line. */
  at: Partial<Record<SloField, string>>;
  /** The path of the SLO in its file, for messages: `slos[1]`, `SLO boot-success`. */
  path: string;
  /** Tiers as written (before factors), for the window checks. */
  tierSpecs: TierSpec[];
  /** `file:line` of each tier, when written in the file. */
  tierAt?: string[];
  /** The path of each tier in its file, when not `<path>.alerting.tiers[i]` (OpenSLO conditions). */
  tierPaths?: string[];
  /**
   * False when parsing this SLO found problems: fields it could not read hold placeholders, so
   * the model checks (validate.ts) skip it rather than report problems that are not there.
   */
  clean: boolean;
}

/**
 * Whether the SLI counts boots (grouped like rollups) or is fleet-wide: instance samples
 * (agent_coverage, replacement_rate) or finished rollouts (rollout_success, M6).
 */
export function isFleetWide(sli: SliKind): boolean {
  return sli === 'agent_coverage' || sli === 'replacement_rate' || sli === 'rollout_success';
}

/** 30 days, the SRE Workbook's usual window; 90 days for rollouts, which are few (M6). */
export function defaultWindowMs(sli: SliKind | null): number {
  return (sli === 'rollout_success' ? 90 : 30) * 86_400_000;
}

/** group_by when the file says nothing: per AMI version for boot SLIs, fleet-wide otherwise. */
export function defaultGroupBy(sli: SliKind): GroupByLabel[] {
  return isFleetWide(sli) ? [] : ['ami_version'];
}
