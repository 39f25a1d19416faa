// The image scan panels: the vulnerability trend per AMI version (executive) and the latest scan
// per version (debug), from the collector's gauges (collector/metrics/image-scan-gauges.ts). The
// gauges carry the AMI version only: the region and Auto Scaling group variables do not apply.
// Several collector replicas export the same values (one store): `max by` reads one of them.
import { PromLabel, PromMetric } from '../shared/conventions.js';
import { row, table, timeseries, type PanelDraft } from './panels.js';
import { filterMatchers } from './variables.js';

const version = filterMatchers([PromLabel.amiVersion]);

/** The latest scan's counts by version, severity and fixable, one replica's. */
function vulnerabilities(extra: string[] = []): string {
  const selector = `${PromMetric.imageVulnerabilities}{${[...extra, ...version].join(', ')}}`;
  return `max by (${PromLabel.amiVersion}, ${PromLabel.severity}, ${PromLabel.fixable}) (${selector})`;
}

export function vulnerabilityTrendPanels(): PanelDraft[] {
  return [
    row('Image vulnerabilities'),
    timeseries({
      title: 'Vulnerability trend by AMI version',
      description:
        'Critical and high vulnerabilities in the latest scan of each AMI version (Trivy or ' +
        'Grype report, distinct per vulnerability and package), over time: a new version should ' +
        'bring them down. Filters on the AMI version only.',
      queries: [
        {
          expr: `sum by (${PromLabel.amiVersion}, ${PromLabel.severity}) (\n${vulnerabilities([`${PromLabel.severity}=~"critical|high"`])}\n)`,
          legend: '{{ami_version}} {{severity}}',
        },
      ],
      unit: 'short',
      min: 0,
      width: 16,
    }),
    table({
      title: 'Fixable critical and high, latest scan per AMI version',
      description:
        'What a rebake with the fixed packages removes. The scan gate (bootwatch scan gate) ' +
        'holds these against the scan policy.',
      queries: [
        {
          expr: vulnerabilities([
            `${PromLabel.severity}=~"critical|high"`,
            `${PromLabel.fixable}="true"`,
          ]),
        },
      ],
      unit: 'short',
      width: 8,
    }),
  ];
}

export function latestScanPanels(): PanelDraft[] {
  return [
    row('Image scans'),
    table({
      title: 'Latest scan per AMI version',
      description:
        'Vulnerabilities in the latest scan of each AMI version by severity, fixable (a fixed ' +
        'version exists) or not. The scans themselves: GET /api/v1/images/<version>/scans.',
      queries: [{ expr: vulnerabilities() }],
      unit: 'short',
      width: 16,
    }),
    table({
      title: 'Age of the latest scan per AMI version',
      description:
        'Since the latest scan of each version was made; the scan policy wants one within its ' +
        'max_age (7 days by default), else the fleet gets a BootwatchImageScanOverdue ticket.',
      queries: [
        {
          expr: `time() - max by (${PromLabel.amiVersion}) (${PromMetric.imageScanTimestamp}{${version.join(', ')}})`,
        },
      ],
      unit: 's',
      decimals: 0,
      width: 8,
    }),
  ];
}
