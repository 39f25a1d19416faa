// The image scan tickets as generated: both tickets, the overdue threshold taken from the scan
// policy's max_age, and the rules written from the SLO file's policy by `bootwatch generate rules`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DefaultLinks, buildRuleFile } from '../../alerts/generate-rules.js';
import { isAlertingRule } from '../../alerts/rule-file.js';
import { runGenerateCommand } from '../../cli/generate-command.js';
import { defaultSlos } from '../../shared/slo/defaults.js';
import { DefaultScanPolicy } from '../../shared/slo/scan-policy.js';

const scanAlerts = (maxAgeMs?: number) =>
  buildRuleFile(defaultSlos(), {
    links: DefaultLinks,
    ...(maxAgeMs === undefined ? {} : { scanPolicy: { ...DefaultScanPolicy, maxAgeMs } }),
  })
    .groups.filter((g) => g.name === 'bootwatch-image-scans')
    .flatMap((g) => g.rules)
    .filter(isAlertingRule);

describe('image scan rules', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are two tickets', () => {
    expect(scanAlerts().map((a) => [a.alert, a.labels.severity, a.for])).toEqual([
      ['BootwatchImageVulnerabilitiesIncreased', 'ticket', '15m'],
      ['BootwatchImageScanOverdue', 'ticket', '1h'],
    ]);
  });

  it('hold the fleet to the policy max_age', () => {
    expect(scanAlerts()[1]?.expr).toContain('<= 604800)');
    const daily = scanAlerts(86_400_000)[1];
    expect(daily?.expr).toContain('<= 86400)');
    expect(daily?.annotations.summary).toContain('has no scan in the last 1d');
  });

  it('are generated from the scan policy of the SLO file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-scan-rules-'));
    try {
      vi.spyOn(console, 'log').mockImplementation(() => undefined);
      const slos = join(dir, 'slos.yaml');
      writeFileSync(
        slos,
        'slos:\n  - { name: boots, sli: boot_success, objective: 99.9 }\nscan_policy: { max_age: 2d }\n',
      );
      expect(await runGenerateCommand(['rules', '--slo-file', slos, '--out', dir])).toBe(0);
      const text = readFileSync(join(dir, 'generated', 'bootwatch-rules.yml'), 'utf8');
      expect(text).toContain(
        '(time() - max by (ami_version) (bootwatch_image_scan_timestamp_seconds) <= 172800)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
