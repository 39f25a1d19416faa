// Debug: where the boot time goes (each phase and cloud-init stage per AMI version), the time to
// ready distribution, which AMIs and instance types fail, agent coverage, the latest scan of each
// AMI version, and a link to one instance's boot timeline in the collector API.
import { Phases, PromLabel, PromMetric } from '../shared/conventions.js';
import { dashboard } from './dashboard-shell.js';
import type { Dashboard } from './grafana-model.js';
import { heatmap, row, table, text, timeseries } from './panels.js';
import { bootsBy, phaseQuantile, Range } from './queries.js';
import { latestScanPanels } from './scan-panels.js';
import { filterMatchers, textVariable } from './variables.js';

export const DebugDashboard = { uid: 'bootwatch-debug', title: 'bootwatch / Debug' };

/** Where Grafana users reach the collector's read API (a `collector_url` variable, editable). */
export const DefaultCollectorUrl = 'http://127.0.0.1:4318';

const cloudInit = `${PromLabel.phase}=~"cloud_init_.*"`;
const phaseMetric = PromMetric.bootPhaseSeconds;

const timeline = [
  'The collector keeps every boot for its retention period, with its timeline by phase.',
  '',
  '- Boot timeline of **${instance_id}**: [${collector_url}/api/v1/boots/${instance_id}](${collector_url}/api/v1/boots/${instance_id})',
  '- Latest failed boots: [${collector_url}/api/v1/boots?outcome=failure](${collector_url}/api/v1/boots?outcome=failure) (add `&ami_version=` to narrow)',
  '',
  'The API needs the admin token when the collector has one: `curl -H "Authorization: Bearer $BOOTWATCH_ADMIN_TOKEN" <url>`.',
  `Phases, in boot order: ${Phases.join(', ')}.`,
].join('\n');

export function debugDashboard(collectorUrl: string = DefaultCollectorUrl): Dashboard {
  const meanPhase = (range: string) => {
    const m = filterMatchers([PromLabel.amiVersion]).join(', ');
    const by = 'sum by (ami_version, phase)';
    return (
      `${by} (increase(${phaseMetric}_sum{${m}}[${range}]))\n` +
      `/ (${by} (increase(${phaseMetric}_count{${m}}[${range}])) > 0)`
    );
  };
  return dashboard({
    ...DebugDashboard,
    description:
      'Boot phases, cloud-init stages, failures by AMI and instance type, agent coverage (bootwatch)',
    from: 'now-24h',
    extraVariables: [
      textVariable(
        'collector_url',
        'Collector URL',
        collectorUrl,
        'Base URL of the bootwatch collector read API, as your browser reaches it',
      ),
      textVariable(
        'instance_id',
        'Instance id',
        'i-0123456789abcdef0',
        'The instance whose boot timeline to open',
      ),
    ],
    panels: [
      row('Boot phases'),
      timeseries({
        title: 'p95 seconds per boot phase',
        description:
          'provisioning: launch to kernel; kernel: to PID 1; userspace: to cloud-init; each cloud-init stage; probe_wait: to every readiness probe passing.',
        queries: [
          { expr: phaseQuantile(0.95, [PromLabel.phase], Range.step), legend: '{{phase}}' },
        ],
        unit: 's',
        min: 0,
        width: 12,
      }),
      table({
        title: 'Mean seconds per phase and AMI version (time range)',
        description: 'Compare a new version with the last one phase by phase.',
        queries: [{ expr: meanPhase(Range.whole) }],
        unit: 's',
        decimals: 1,
        width: 12,
      }),
      table({
        title: 'cloud-init stages: p95 seconds per AMI version (time range)',
        description: 'init-local, init (network), modules:config and modules:final.',
        queries: [
          {
            expr: phaseQuantile(0.95, [PromLabel.amiVersion, PromLabel.phase], Range.whole, [
              cloudInit,
            ]),
          },
        ],
        unit: 's',
        decimals: 1,
        width: 12,
      }),
      heatmap({
        title: 'Time to ready distribution',
        description: 'First boots per time-to-ready bucket (successes and failures).',
        queries: [
          {
            expr: `sum by (le) (increase(${PromMetric.timeToReadySeconds}_bucket{${filterMatchers().join(', ')}}[${Range.step}]))`,
            legend: '{{le}}',
          },
        ],
        width: 12,
      }),
      row('Failures'),
      table({
        title: 'Failed first boots by AMI, instance type and reason (time range)',
        description:
          'AMI id, version, instance type, Auto Scaling group and reason of the failed boots.',
        queries: [
          {
            expr: `${bootsBy(
              [
                PromLabel.amiId,
                PromLabel.amiVersion,
                PromLabel.instanceType,
                PromLabel.asg,
                PromLabel.reason,
              ],
              Range.whole,
              [`${PromLabel.outcome}="failure"`],
            )}\n> 0`,
          },
        ],
        width: 24,
      }),
      row('Agent coverage'),
      timeseries({
        title: 'Agent coverage',
        description:
          'Running instances whose agent sent a heartbeat within the heartbeat window, over ' +
          'running instances (max over collector replicas: they share one store).',
        queries: [
          {
            expr: `max(${PromMetric.agentsReporting}) / (max(${PromMetric.instancesRunning}) > 0)`,
            legend: 'coverage',
          },
        ],
        unit: 'percentunit',
        min: 0,
        max: 1,
        width: 12,
      }),
      timeseries({
        title: 'Instances running and agents reporting',
        description: 'The two sides of coverage.',
        queries: [
          { expr: `max(${PromMetric.instancesRunning})`, legend: 'instances running' },
          { expr: `max(${PromMetric.agentsReporting})`, legend: 'agents reporting' },
        ],
        unit: 'short',
        min: 0,
        width: 12,
      }),
      ...latestScanPanels(),
      row('One instance'),
      text('Boot timeline of one instance', timeline),
    ],
  });
}
