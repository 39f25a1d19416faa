// The SLOs bootwatch evaluates when no SLO file is given (DESIGN.md, configuration contract):
// 99.9% of first boots succeed and 95% are ready within 120 s, over 30 days, per AMI version;
// 99% of rollouts are not rolled back, over 90 days (M6: a rollback rate under 1%).
import { DefaultSparseRule, type Slo } from './model.js';
import { defaultTiers } from './tiers.js';

const ThirtyDaysMs = 30 * 86_400_000;
const NinetyDaysMs = 90 * 86_400_000;

export function defaultSlos(): Slo[] {
  return [
    {
      name: 'boot-success',
      description:
        'First boots of an AMI version that become ready (no_report counts as a failure)',
      sli: 'boot_success',
      thresholdSeconds: null,
      objective: 0.999,
      windowMs: ThirtyDaysMs,
      groupBy: ['ami_version'],
      tiers: defaultTiers(ThirtyDaysMs),
      sparse: { ...DefaultSparseRule },
      source: 'built-in',
    },
    {
      name: 'time-to-ready',
      description: 'First boots of an AMI version ready within 120 s of launch',
      sli: 'time_to_ready',
      thresholdSeconds: 120,
      objective: 0.95,
      windowMs: ThirtyDaysMs,
      groupBy: ['ami_version'],
      tiers: defaultTiers(ThirtyDaysMs),
      sparse: { ...DefaultSparseRule },
      source: 'built-in',
    },
    {
      name: 'rollout-success',
      description:
        'Rollouts of AMI versions (through the API or detected from launches) not rolled back',
      sli: 'rollout_success',
      thresholdSeconds: null,
      objective: 0.99,
      windowMs: NinetyDaysMs,
      groupBy: [],
      tiers: defaultTiers(NinetyDaysMs),
      sparse: { ...DefaultSparseRule },
      source: 'built-in',
    },
  ];
}
