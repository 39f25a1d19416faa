// The collector's plain data: what ingest produces and the store keeps. No I/O here.
import type { BootReport } from '../shared/boot-report.js';
import type { Outcome, Reason } from '../shared/conventions.js';

/**
 * A fact about one instance learned from an EventBridge event (EC2 state change, Auto Scaling
 * launch/terminate, lifecycle action, CloudTrail RunInstances). Fields an event does not carry
 * are undefined; the store merges facts about the same instance.
 */
export interface InstanceEvent {
  /** EventBridge event id (for CloudTrail RunInstances: eventID + instance id), the dedup key. */
  eventId: string;
  kind:
    | 'launched' // RunInstances, state pending, Auto Scaling launch successful or lifecycle launching
    | 'launch_failed' // Auto Scaling launch unsuccessful
    | 'running'
    | 'terminated' // state shutting-down/terminated, Auto Scaling terminate successful
    | 'other';
  instanceId: string;
  /** When it happened (event time, or launchTime for RunInstances), epoch ms. */
  atMs: number;
  source: 'aws.ec2' | 'aws.autoscaling' | 'aws.cloudtrail';
  detailType: string;
  region?: string;
  accountId?: string;
  amiId?: string;
  instanceType?: string;
  availabilityZone?: string;
  asg?: string;
  /** Auto Scaling StatusMessage / cause, for launch_failed. */
  message?: string;
}

/** What a launch looks like in the store: the merged facts about one instance. */
export interface Launch {
  instanceId: string;
  launchedAtMs: number;
  amiId: string | null;
  region: string | null;
  accountId: string | null;
  instanceType: string | null;
  availabilityZone: string | null;
  asg: string | null;
  state: 'launched' | 'running' | 'launch_failed' | 'terminated';
  terminatedAtMs: number | null;
  /** True once an agent reported a first boot for this instance. */
  reported: boolean;
}

/** An AMI id mapped to its version: from the bake pipeline's registry or from agents. */
export interface ImageRecord {
  amiId: string;
  region: string | null;
  name: string | null;
  version: string;
  /** Free-form build metadata from the bake pipeline (build id, git sha, built_at, ...). */
  build: Record<string, string>;
  source: 'registry' | 'agent';
  registeredAtMs: number;
}

/**
 * A stored boot: an agent's report, or a failure the collector decided for a launch that never
 * reported (`no_report`, `terminated_before_ready`; bootId is '' for those, as no boot id is known).
 */
export interface StoredBoot extends BootReport {
  source: 'agent' | 'collector';
  receivedAtMs: number;
  /** launchedAt + timeToReady, epoch ms: the minute the boot is counted in. */
  outcomeAtMs: number;
}

/** The group every rollup and SLI is keyed by. */
export interface GroupKey {
  amiId: string;
  amiVersion: string;
  region: string;
  asg: string;
  instanceType: string;
}

/** Counts of first boots decided in one minute for one group, outcome and reason. */
export interface RollupRow extends GroupKey {
  minuteMs: number;
  outcome: Outcome;
  reason: Reason;
  count: number;
  /** Sum of time to ready, seconds. */
  ttrSum: number;
  /** Non-cumulative counts per TimeToReadyBuckets bound, plus one last entry for +Inf. */
  ttrBuckets: number[];
}

/** One agent heartbeat (bootwatch.agent.heartbeat). */
export interface Heartbeat {
  instanceId: string;
  amiId: string;
  amiVersion: string;
  region: string;
  asg: string;
  atMs: number;
}
