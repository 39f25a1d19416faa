// Burn-rate factors as people read them (issue 16, item 8: `slo validate` printed 0.933333333333x).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { burnAnnotations } from '../../../alerts/alert-annotations.js';
import { DefaultLinks } from '../../../alerts/generate-rules.js';
import { runSloCommand } from '../../../cli/slo-command.js';
import { defaultSlos } from '../../../shared/slo/defaults.js';
import { defaultTiers, formatFactor } from '../../../shared/slo/tiers.js';

const DayMs = 86_400_000;

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
  vi.restoreAllMocks();
});

describe('formatFactor', () => {
  it('keeps two decimals from 1 up and two significant digits below', () => {
    expect(defaultTiers(28 * DayMs).map((t) => formatFactor(t.factor))).toEqual([
      '13.44',
      '5.6',
      '2.8',
      '0.93',
    ]);
    expect(defaultTiers(30 * DayMs).map((t) => formatFactor(t.factor))).toEqual([
      '14.4',
      '6',
      '3',
      '1',
    ]);
    expect(formatFactor(0.0333333333)).toBe('0.033');
    expect(formatFactor(133.3333333)).toBe('133.33');
  });

  it('is what `slo validate` prints', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bw-factor-'));
    const file = join(dir, 'slos.yaml');
    writeFileSync(
      file,
      'slos:\n  - name: b\n    sli: boot_success\n    objective: 99.9\n    window: 28d\n',
    );
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((m: string) => out.push(m));
    expect(await runSloCommand(['validate', file])).toBe(0);
    expect(out[0]).toBe(
      'b: boot_success 99.9% over 28d, by [ami_version]; page 1h/5m 13.44x, page 6h/30m 5.6x, ticket 1d/2h 2.8x, ticket 3d/6h 0.93x',
    );
  });

  it('is what the alert annotations print', () => {
    const slo = { ...defaultSlos()[0]!, windowMs: 28 * DayMs, tiers: defaultTiers(28 * DayMs) };
    const text = burnAnnotations(slo, slo.tiers[3]!, DefaultLinks, 1);
    expect(text.summary).toContain('ticket: 3d/6h above 0.93x');
    expect(text.summary).not.toContain('0.9333');
  });
});
