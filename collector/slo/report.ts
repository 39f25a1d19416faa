// What an evaluation produces: per SLO and group, the SLI, the error budget, the burn rate and the
// events of every window, and each alert tier's decision. GET /api/v1/slos answers it as JSON, the
// gauges and the Alertmanager push read it. No NaN anywhere: an empty window has nulls and says
// "no events".
import { formatDuration } from '../../shared/duration.js';
import {
  DefaultSparseRule,
  type GroupByLabel,
  type SliKind,
  type Slo,
} from '../../shared/slo/model.js';
import type { AlertDecision } from '../../shared/slo/sparse-rule.js';
import type { FailingIn } from './failing-in.js';

export const NoEvents = 'no events';

export interface WindowStatus {
  /** `5m`, `1h`, `30d`. */
  window: string;
  windowMs: number;
  /** Events counted (boots; instance-minutes for coverage; instance-days for replacement). */
  events: number;
  errors: number;
  sliRatio: number | null;
  errorRatio: number | null;
  burnRate: number | null;
  /** time_to_ready: of the successful boots in the window, interpolated within the buckets. */
  timeToReadySeconds?: { p50: number | null; p95: number | null; p99: number | null };
  /** replacement_rate: launches per 1,000 instances per day. */
  replacementsPer1000PerDay?: number | null;
  note?: typeof NoEvents;
}

export interface TierStatus extends Omit<AlertDecision, 'longRatio' | 'shortRatio'> {
  severity: 'page' | 'ticket';
  longWindow: string;
  shortWindow: string;
  /** The window of the Wilson bound: the long window, or the SLO's evidence window if longer. */
  evidenceWindow: string;
  factor: number;
  /** Burn rates of the two windows (null without events). */
  longBurnRate: number | null;
  shortBurnRate: number | null;
}

export interface BudgetStatus {
  /** (1 - objective) * events over the SLO window. */
  allowedErrors: number;
  errors: number;
  /** 1 - errors / allowedErrors; negative once overspent; null without events. */
  remaining: number | null;
  note?: typeof NoEvents;
}

export type AlertLevel = 'page' | 'ticket' | 'none';

export interface GroupStatus {
  labels: Record<string, string>;
  /** The SLI over the SLO window. */
  sliRatio: number | null;
  budget: BudgetStatus;
  windows: WindowStatus[];
  tiers: TierStatus[];
  /** The most severe firing tier. */
  alert: AlertLevel;
  /** The last minute with events (RFC 3339), to rank groups for the label cap; null for fleet SLIs. */
  lastEventAt: string | null;
  /** While alerting: AMI versions and Auto Scaling groups of its bad boots in the last 2 hours. */
  failingIn?: FailingIn;
  /**
   * Events and errors of the window at `index` (of `windows`), without building the window's
   * status: folding thousands of groups for the label cap reads only these. Not part of the JSON.
   */
  counts?(index: number): { events: number; errors: number };
}

export interface SloStatus {
  name: string;
  description: string;
  sli: SliKind;
  objective: number;
  window: string;
  windowMs: number;
  thresholdSeconds: number | null;
  groupBy: GroupByLabel[];
  sparseZ: number;
  groups: GroupStatus[];
  /** Every window the groups are evaluated over, in the order of each group's `windows`. */
  windowsMs?: readonly number[];
}

/** What an SLO's status says of the SLO itself, before its groups. */
export function sloStatusHead(slo: Slo): Omit<SloStatus, 'groups' | 'windowsMs'> {
  return {
    name: slo.name,
    description: slo.description,
    sli: slo.sli,
    objective: slo.objective,
    window: formatDuration(slo.windowMs),
    windowMs: slo.windowMs,
    thresholdSeconds: slo.thresholdSeconds,
    groupBy: [...slo.groupBy],
    sparseZ: (slo.sparse ?? DefaultSparseRule).z,
  };
}

export interface SloReport {
  evaluatedAt: string;
  evaluatedAtMs: number;
  slos: SloStatus[];
}
