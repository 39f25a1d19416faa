// `bootwatch simulate` as a user runs it: a scenario file in, the result out (JSON here), exit 0
// when the in-process collector stored what was planned; usage and scenario errors exit non-zero
// with a message that names the problem.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = ['--import', 'tsx', 'cli/run.ts', 'simulate'];

const Scenario = `
name: cli
seed: 5
duration: 90m
start: 2026-11-01T00:00:00Z
images:
  - version: '7.0'
    boot_time: { median: 40s, p95: 70s }
    failures: { cloud_init_error: 0.25, no_report: 0.25 }
traffic:
  - per_hour: 8
    versions: { '7.0': 1 }
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-simulate-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function failure(e: unknown): { code: number; stderr: string } {
  return e as { code: number; stderr: string };
}

describe('bootwatch simulate', () => {
  it('runs a scenario against an in-process collector and prints the result as JSON', async () => {
    const file = join(dir, 'cli.yaml');
    writeFileSync(file, Scenario);
    const { stdout, stderr } = await run(process.execPath, [...cli, '--scenario', file, '--json'], {
      timeout: 90_000,
    });
    const out = JSON.parse(stdout) as {
      planned: number;
      launched: number;
      reported: number;
      notDelivered: number;
      differences: string[];
      timeline: { startMs: number };
      versions: { amiVersion: string; launches: number; failures: Record<string, number> }[];
    };
    expect(out.planned).toBeGreaterThan(0);
    expect(out.launched).toBe(out.planned);
    expect(out.notDelivered).toBe(0);
    expect(out.differences).toEqual([]);
    expect(out.timeline.startMs).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(out.versions).toHaveLength(1);
    expect(out.versions[0]).toMatchObject({ amiVersion: '7.0', launches: out.planned });
    expect(stderr).toContain(`simulating cli (${file}): 1h30m from 2026-11-01T00:00:00.000Z`);
  }, 120_000);

  it('without --scenario: exit 2 and the usage', async () => {
    const e = failure(await run(process.execPath, cli).catch((x: unknown) => x));
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('--scenario is required');
    expect(e.stderr).toContain('usage: bootwatch simulate');
  });

  it('an invalid scenario: exit 1 naming the file and the field', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, Scenario.replace('per_hour: 8', 'per_hour: -1'));
    const e = failure(
      await run(process.execPath, [...cli, '--scenario', file]).catch((x: unknown) => x),
    );
    expect(e.code).toBe(1);
    expect(e.stderr.trim()).toBe(
      `bootwatch simulate: BW_CONFIG_INVALID: ${file}: traffic[0].per_hour: expected launches per hour, above 0, got -1`,
    );
  });
});
