// `bootwatch slo validate FILE` and `bootwatch slo status`: exit codes, messages and the table.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatSloTable, runSloCommand } from '../../../cli/slo-command.js';
import { main } from '../../../cli/main.js';
import { ManualClock } from '../../../shared/clock.js';
import type { Store } from '../../../collector/store/store.js';
import { AdminToken, testApp } from '../server/harness.js';
import { bootAt, ingest, memoryStore, MinuteMs, Start } from './support.js';

let dir = '';
let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-slo-cli-'));
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function file(text: string): string {
  const path = join(dir, 'slos.yaml');
  writeFileSync(path, text);
  return path;
}

describe('bootwatch slo validate', () => {
  it('exits 0 and lists the SLOs with their tiers when the file is valid', async () => {
    const path = file(
      'slos:\n  - name: boots\n    sli: boot_success\n    objective: 99.5\n    window: 7d\n',
    );
    expect(await runSloCommand(['validate', path])).toBe(0);
    expect(out).toEqual([
      'boots: boot_success 99.5% over 7d, by [ami_version]; page 1h/5m 3.36x, page 6h/30m 1.4x, ticket 1d/2h 0.7x, ticket 3d/6h 0.23x',
      `${path}: 1 SLO, valid`,
    ]);
  });

  it('exits 1 and prints every problem with file, line and field', async () => {
    const path = file(
      'slos:\n  - name: boots\n    sli: boot_success\n    objective: 99.5\n    window: 7 days\n    colour: blue\n',
    );
    expect(await main(['slo', 'validate', path])).toBe(1);
    expect(err).toEqual([
      `${path}:6: slos[0].colour: unknown field; expected one of name, description, sli, threshold, objective, window, group_by, alerting`,
      `${path}:5: slos[0].window: expected a duration such as 90s, 15m, 6h or 30d, got "7 days"`,
      `${path}: 2 problems`,
    ]);
    expect(await runSloCommand(['validate', join(dir, 'missing.yaml')])).toBe(1);
    expect(err.at(-1)).toMatch(/missing\.yaml: cannot read: /);
  });
});

describe('bootwatch slo status', () => {
  let store: Store | undefined;
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    await store?.close();
  });

  it('prints the collector SLOs as a table', async () => {
    store = await memoryStore();
    await ingest(store, [
      ...[0, 1, 2, 3].map((i) =>
        bootAt({
          amiVersion: '2.0',
          outcomeAtMs: Start + i * MinuteMs,
          outcome: i === 0 ? 'failure' : 'success',
        }),
      ),
      bootAt({ amiVersion: '1.0', outcomeAtMs: Start + 2 * MinuteMs }),
    ]);
    app = await testApp(store, new ManualClock(Start + 4 * MinuteMs + 30_000));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect(
      await runSloCommand(['status', '--url', url, '--token', AdminToken, '--slo', 'boot-success']),
    ).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('boot-success: boot_success, objective 99.9% over 30d, by ami_version');
    const rows = text.split('\n').filter((l) => l.includes('ami_version='));
    expect(rows[0]).toMatch(/^ {2}ami_version=1\.0 +100% +100% +ok +0\.00x\/1 /);
    expect(rows[1]).toMatch(
      /^ {2}ami_version=2\.0 +75% +-24900% +PAGE 1h\/5m 250\.0x>14\.4x \(sparse: Wilson\) +250\.00x\/4 /,
    );
    // Without the admin token the collector answers 401, and the command says so.
    vi.stubEnv('BOOTWATCH_ADMIN_TOKEN', '');
    expect(await main(['slo', 'status', '--url', url])).toBe(1);
    expect(err.at(-1)).toMatch(
      /^bootwatch slo: BW_API_REQUEST: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/slos answered 401: /,
    );
    vi.unstubAllEnvs();
  });
});

describe('formatSloTable', () => {
  it('says so when an SLO has no events', () => {
    const text = formatSloTable({
      evaluatedAt: '2025-03-01T00:00:00.000Z',
      evaluatedAtMs: Start,
      slos: [
        {
          name: 'boots',
          description: '',
          sli: 'boot_success',
          objective: 0.999,
          window: '30d',
          windowMs: 30 * 86_400_000,
          thresholdSeconds: null,
          groupBy: ['ami_version'],
          sparseZ: 3,
          groups: [],
        },
      ],
    });
    expect(text).toBe(
      'SLOs evaluated at 2025-03-01T00:00:00.000Z\n\nboots: boot_success, objective 99.9% over 30d, by ami_version\n  no events in the last 30d',
    );
  });
});
