// `bootwatch scan submit` and `bootwatch scan gate` against a real collector on 127.0.0.1 (SQLite
// in a temporary folder): reports streamed in gzipped, the gate's exit codes 0 pass, 3 fail,
// 4 no scan, 1 for an error, and a scan policy from the collector's SLO file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { buildCollectorConfig } from '../../../collector/config.js';
import { runCollector, type RunningCollector } from '../../../collector/run-collector.js';
import { AdminToken } from '../server/harness.js';

const fixture = (name: string) =>
  new URL(`../../fixtures/real/scans/${name}`, import.meta.url).pathname;
const Good = 'ami-0a1b2c3d4e5f60011';
const Bad = 'ami-0a1b2c3d4e5f60012';
const Unscanned = 'ami-0a1b2c3d4e5f60013';

describe('bootwatch scan, against a running collector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-scan-cli-'));
  let collector: RunningCollector;
  let out: string[] = [];
  let err: string[] = [];
  const scan = (...argv: string[]) =>
    main(['scan', ...argv, '--url', collector.url, '--token', AdminToken]);

  beforeAll(async () => {
    // The policy: no fixable critical, reports up to ten years old (the fixtures are of 2021).
    writeFileSync(
      join(dir, 'slos.yaml'),
      'slos:\n  - { name: boots, sli: boot_success, objective: 99.9 }\n' +
        'scan_policy:\n  max_vulnerabilities: { critical: 0 }\n  max_age: 3650d\n',
    );
    collector = await runCollector(
      buildCollectorConfig({
        file: {
          listen: '127.0.0.1:0',
          store: join(dir, 'bootwatch.db'),
          admin_token: AdminToken,
          allow_anonymous: true,
          slo_file: join(dir, 'slos.yaml'),
          log_level: 'silent',
        },
        filePath: 'test',
        hostname: 'test',
      }),
      { handleSignals: false },
    );
    for (const [amiId, version] of [
      [Good, '3.0.1'],
      [Bad, '3.0.2'],
      [Unscanned, '3.0.3'],
    ]) {
      const r = await fetch(`${collector.url}/api/v1/images`, {
        method: 'POST',
        headers: { authorization: `Bearer ${AdminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amiId, version }),
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    out = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());

  it('submits a report and prints what the collector counted', async () => {
    expect(await scan('submit', '--ami', Good, fixture('trivy-centos-7.json'))).toBe(0);
    expect(out.join('\n')).toMatch(
      new RegExp(
        `^stored scan \\d+ of ${Good} \\(version 3\\.0\\.1\\): trivy dev, scanned 2021-08-25T12:20:30\\.000Z\\n` +
          '  3 distinct vulnerabilities \\(3 findings\\): critical 0, high 0, medium 1 \\(1 fixable\\), ' +
          'low 2 \\(1 fixable\\), unknown 0$',
      ),
    );
  });

  it('exits 0 when the gate passes, 3 when it fails, 4 without a scan', async () => {
    await scan('submit', '--ami', Good, fixture('trivy-amazon-2.json'));
    expect(await scan('gate', '--version', '3.0.1')).toBe(0);
    expect(out.at(-1)).toMatch(
      /^3\.0\.1: PASS\n {2}0 fixable critical vulnerabilities \(at most 0\); scan \d+d old\n/,
    );

    // grype-image.json's critical has no fix; given one, it fails the gate.
    const critical = join(dir, 'critical.json');
    writeFileSync(
      critical,
      readFileSync(fixture('grype-image.json'), 'utf8').replace('"state": ""', '"state": "fixed"'),
    );
    expect(await scan('submit', '--ami', Bad, critical)).toBe(0);
    expect(await scan('gate', '--version', '3.0.2')).toBe(3);
    expect(out.at(-1)).toContain('1 fixable critical vulnerability, more than the 0 allowed');

    expect(await scan('gate', '--version', '3.0.3')).toBe(4);
    expect(out.at(-1)).toMatch(/^3\.0\.3: NO SCAN\n {2}not scanned: /);
    expect(await scan('gate', '--version', '3.0.3', '--json')).toBe(4);
    expect(JSON.parse(out.at(-1) ?? '')).toMatchObject({
      amiVersion: '3.0.3',
      decision: 'no_scan',
    });
  });

  it('exits 1 with the collector answer when it refuses, 2 on a usage error', async () => {
    expect(
      await scan('submit', '--ami', 'ami-0fffffffffffffff0', fixture('grype-empty.json')),
    ).toBe(1);
    expect(err.at(-1)).toMatch(
      /answered 404: BW_SCAN_IMAGE_UNKNOWN: ami-0fffffffffffffff0 is not registered/,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, readFileSync(fixture('trivy-centos-7.json')).subarray(0, 3000));
    expect(await scan('submit', '--ami', Good, broken)).toBe(1);
    expect(err.at(-1)).toMatch(/answered 400: BW_SCAN_JSON: the JSON ends after 3000 bytes/);
    expect(await scan('submit', '--ami', Good, join(dir, 'missing.json'))).toBe(1);
    expect(err.at(-1)).toMatch(/missing\.json: cannot read/);
    expect(await scan('gate', '--version', 'no-such-version')).toBe(1);
    expect(err.at(-1)).toMatch(/answered 404: BW_NOT_FOUND/);
    expect(await main(['scan', 'gate', '--version', '3.0.1', '--url', 'http://127.0.0.1:9'])).toBe(
      1,
    );
    expect(err.at(-1)).toMatch(/no answer/);
    expect(await scan('gate')).toBe(2);
  });
});
