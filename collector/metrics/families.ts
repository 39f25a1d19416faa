// The metric families the collector exports from persisted counters: the store's families
// (name, type, label names, bucket bounds: store/counter-families.ts) with their help texts.
import { PromMetric } from '../../shared/conventions.js';
import { CounterFamilyList, type CounterFamily } from '../store/counter-families.js';

export interface Family extends CounterFamily {
  help: string;
}

const Help: Record<string, string> = {
  [PromMetric.bootsTotal]:
    'First boots after launch whose outcome is decided (reboots are not counted), by AMI, ' +
    'group, outcome and reason, including the failures the collector decides (no_report, ' +
    'terminated_before_ready). A corrected boot is counted again under its new labels and ' +
    'once in bootwatch_boots_retracted_total under its old ones: boots = total - retracted.',
  [PromMetric.bootsRetractedTotal]:
    'Boots whose outcome a later report replaced (e.g. a late report for a no_report launch), ' +
    'with the labels they were first counted under; subtract from bootwatch_boots_total.',
  [PromMetric.launchesTotal]:
    'Instance launches learned from EC2, Auto Scaling and CloudTrail events (deduplicated).',
  [PromMetric.timeToReadySeconds]:
    'Seconds from launch (pendingTime) to ready (cloud-init done and every readiness probe ' +
    'passing), or to the moment a failure was decided; one observation per first boot.',
  [PromMetric.timeToReadyRetractedSeconds]:
    'Time-to-ready observations a correction took back (a later report of the same boot, or a ' +
    'late report replacing a no_report), with the labels they were made under; subtract from ' +
    'bootwatch_time_to_ready_seconds bucket by bucket.',
  [PromMetric.bootPhaseSeconds]:
    'Seconds spent in each boot phase (provisioning, kernel, userspace, each cloud-init stage, ' +
    'waiting for probes), one observation per phase of each first boot.',
};

/** Every family the store keeps, in the order /metrics lists them. */
export const Families: readonly Family[] = CounterFamilyList.map((f) => ({
  ...f,
  help: Help[f.name] ?? `bootwatch counter ${f.name}.`,
}));
