// GET /api/v1/slos and the SLO gauges on /metrics, on a collector built like production
// (buildCollector) over a real SQLite store, with reports ingested as OTLP and silent launches
// decided by the sweeper.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { isBootwatchError } from '../../../shared/errors.js';
import type { SloReport } from '../../../collector/slo/report.js';
import type { Store } from '../../../collector/store/store.js';
import { instanceEvent } from '../../support/stores.js';
import { adminAuth, agentAuth, otlpJson, testApp, testBoot } from '../server/harness.js';
import { HourMs, memoryStore, MinuteMs } from './support.js';

const Launch = Date.parse('2024-05-01T10:00:00.000Z');
let store: Store | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await store?.close();
  app = undefined;
  store = undefined;
});

async function postBoots(a: FastifyInstance, boots: ReturnType<typeof testBoot>[]) {
  const res = await a.inject({
    method: 'POST',
    url: '/v1/metrics',
    headers: { ...agentAuth, 'content-type': 'application/json' },
    payload: otlpJson(boots),
  });
  expect(res.statusCode).toBe(200);
}

/** Four reported boots of 2024.05.1 (one failed, one ready in 150 s) and one silent launch. */
async function fleet(clock: ManualClock, file: Record<string, unknown> = {}) {
  store = await memoryStore();
  app = await testApp(store, clock, file);
  await postBoots(
    app,
    [0, 1, 2, 3].map((i) =>
      testBoot({
        instanceId: `i-0123456789abcdef${i}`,
        bootId: `boot-${i}`,
        launchedAt: new Date(Launch + i * MinuteMs).toISOString(),
        outcome: i === 1 ? 'failure' : 'success',
        reason: i === 1 ? 'cloud_init_error' : 'none',
        timeToReadySeconds: i === 2 ? 150 : 40,
      }),
    ),
  );
  // An instance launched with 2024.05.1 whose agent never reports: the sweeper charges it.
  await store.upsertImage({
    amiId: 'ami-0123456789abcdef0',
    region: 'eu-west-1',
    name: 'web',
    version: '2024.05.1',
    build: {},
    source: 'registry',
    registeredAtMs: Launch,
  });
  await store.recordEvents(
    [
      instanceEvent({
        instanceId: 'i-0fffffffffffffff0',
        atMs: Launch,
        amiId: 'ami-0123456789abcdef0',
        region: 'eu-west-1',
      }),
    ],
    Launch,
  );
  await store.sweep(Launch + 20 * MinuteMs, 15 * MinuteMs);
  return app;
}

async function slos(a: FastifyInstance, query = ''): Promise<SloReport> {
  const res = await a.inject({ method: 'GET', url: `/api/v1/slos${query}`, headers: adminAuth });
  expect(res.statusCode).toBe(200);
  return res.json() as SloReport;
}

describe('GET /api/v1/slos', () => {
  it('counts launches that never reported as failed boots, per AMI version', async () => {
    const clock = new ManualClock(Launch + 30 * MinuteMs);
    const report = await slos(await fleet(clock));
    expect(report.evaluatedAt).toBe('2024-05-01T10:30:00.000Z');
    const [success, ready] = report.slos;
    const g = success!.groups.find((x) => x.labels.ami_version === '2024.05.1')!;
    // 5 launches: 3 successes, 1 cloud-init error, 1 no_report.
    expect(g.windows.find((w) => w.window === '1h')).toMatchObject({ events: 5, errors: 2 });
    expect(g.sliRatio).toBe(0.6);
    expect(g.alert).toBe('page');
    expect(g.failingIn).toEqual({ amiVersions: ['2024.05.1'], asgs: ['web-asg'] });
    // Ready within 120 s: the failure, the 150 s boot and the silent launch are not.
    const r = ready!.groups.find((x) => x.labels.ami_version === '2024.05.1')!;
    expect(r.windows.find((w) => w.window === '1h')).toMatchObject({ events: 5, errors: 3 });
  });

  it('keeps one SLO with ?slo=, answers 404 for an unknown one, and needs the read token', async () => {
    const a = await fleet(new ManualClock(Launch + 30 * MinuteMs));
    expect((await slos(a, '?slo=time-to-ready')).slos.map((s) => s.name)).toEqual([
      'time-to-ready',
    ]);
    const missing = await a.inject({
      method: 'GET',
      url: '/api/v1/slos?slo=nope',
      headers: adminAuth,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('BW_NOT_FOUND');
    const anonymous = await a.inject({ method: 'GET', url: '/api/v1/slos' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('evaluates again once the last evaluation is older than the interval', async () => {
    const clock = new ManualClock(Launch + 30 * MinuteMs);
    const a = await fleet(clock);
    const first = await slos(a);
    clock.advance(10_000);
    expect((await slos(a)).evaluatedAt).toBe(first.evaluatedAt);
    clock.advance(HourMs);
    const later = await slos(a);
    expect(later.evaluatedAt).toBe('2024-05-01T11:30:10.000Z');
    const g = later.slos[0]!.groups[0]!;
    expect(g.windows.find((w) => w.window === '1h')).toMatchObject({
      events: 0,
      note: 'no events',
    });
  });
});

describe('SLO gauges on /metrics', () => {
  it('export SLI, budget, burn rate and alert state, without NaN and without empty windows', async () => {
    const a = await fleet(new ManualClock(Launch + 30 * MinuteMs));
    const text = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
    expect(
      line('bootwatch_sli_ratio{slo="boot-success",ami_version="2024.05.1",window="1h"}'),
    ).toMatch(/ 0\.6$/);
    expect(
      line('bootwatch_error_budget_remaining_ratio{slo="boot-success",ami_version="2024.05.1"}'),
    ).toMatch(/ -399$/);
    expect(
      line('bootwatch_burn_rate{slo="boot-success",ami_version="2024.05.1",window="30d"}'),
    ).toMatch(/ 400$/);
    expect(
      line('bootwatch_slo_alert_state{slo="boot-success",ami_version="2024.05.1",severity="page"}'),
    ).toMatch(/ 1$/);
    expect(text).toContain('# TYPE bootwatch_burn_rate gauge');
    expect(text).not.toMatch(/NaN/);
    // The 5m window of this group is empty: no sample rather than NaN.
    expect(
      line('bootwatch_sli_ratio{slo="boot-success",ami_version="2024.05.1",window="5m"}'),
    ).toBeUndefined();
  });

  it('fold AMI versions past the label cap into other, from summed counts', async () => {
    const clock = new ManualClock(Launch + 30 * MinuteMs);
    store = await memoryStore();
    app = await testApp(store, clock, { label_cap: 1 });
    const boots = ['1.0', '1.1', '1.2'].flatMap((v, k) =>
      [0, 1].map((i) =>
        testBoot({
          instanceId: `i-0123456789abc${k}${i}00`,
          bootId: `b-${k}-${i}`,
          amiVersion: v,
          // 1.2 boots last: it keeps its name. 1.0 and 1.1: 4 boots, 1 failure.
          launchedAt: new Date(Launch + (k * 2 + i) * MinuteMs).toISOString(),
          outcome: v === '1.0' && i === 0 ? 'failure' : 'success',
          reason: v === '1.0' && i === 0 ? 'unit_failed' : 'none',
        }),
      ),
    );
    await postBoots(app, boots);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const series = text
      .split('\n')
      .filter(
        (l) => l.startsWith('bootwatch_sli_ratio{slo="boot-success"') && l.includes('window="1h"'),
      );
    expect(series).toEqual([
      'bootwatch_sli_ratio{slo="boot-success",ami_version="1.2",window="1h"} 1',
      'bootwatch_sli_ratio{slo="boot-success",ami_version="other",window="1h"} 0.75',
    ]);
    // The API's overview folds alike, and says how many groups there are; one SLO's pages and
    // a version's groups keep every version apart.
    const overview = (await slos(app)).slos[0] as SloReport['slos'][number] & {
      groupsTotal: number;
    };
    expect(overview.groups.map((g) => g.labels.ami_version)).toEqual(['1.2', 'other']);
    expect(overview.groupsTotal).toBe(3);
    expect(overview.groups[1]!.windows.find((w) => w.window === '1h')).toMatchObject({
      events: 4,
      errors: 1,
    });
    const one = (await slos(app, '?slo=boot-success')).slos[0]!;
    expect(one.groups.map((g) => g.labels.ami_version)).toEqual(['1.0', '1.1', '1.2']);
    const version = (await slos(app, '?ami_version=1.0')).slos;
    // The rollout SLO (M6) has one fleet-wide group, which no AMI version selects.
    expect(version.map((s) => s.groups.map((g) => g.labels.ami_version))).toEqual([
      ['1.0'],
      ['1.0'],
      [],
    ]);
  });

  it('pages one SLO through thousands of versions, each once, its overview bounded by the cap', async () => {
    const clock = new ManualClock(Launch + 30 * MinuteMs);
    store = await memoryStore();
    app = await testApp(store, clock, { label_cap: 20 });
    const versions = Array.from({ length: 1500 }, (_, k) => `2026.${k}`);
    for (let i = 0; i < versions.length; i += 300) {
      await postBoots(
        app,
        versions.slice(i, i + 300).map((v, k) =>
          testBoot({
            instanceId: `i-${(i + k).toString(16).padStart(17, '0')}`,
            bootId: `b-${v}`,
            amiVersion: v,
            launchedAt: new Date(Launch + ((i + k) % 20) * MinuteMs).toISOString(),
          }),
        ),
      );
    }
    const overview = await app.inject({ method: 'GET', url: '/api/v1/slos', headers: adminAuth });
    const body = overview.json() as SloReport;
    expect(body.slos.map((s) => s.groups.length)).toEqual([21, 21, 1]);
    expect(overview.body.length).toBeLessThan(300_000);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const q: string = cursor === null ? '' : `&cursor=${cursor}`;
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/slos?slo=time-to-ready&limit=400${q}`,
        headers: adminAuth,
      });
      const p = res.json() as SloReport & { nextCursor: string | null };
      seen.push(...p.slos[0]!.groups.map((g) => g.labels.ami_version!));
      if (page === 1) {
        // A version that appears between two pages, before the cursor: no page shifts.
        await postBoots(app, [
          testBoot({ instanceId: 'i-0000000000000new0', amiVersion: '2026.0a' }),
        ]);
      }
      cursor = p.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toHaveLength(1500);
    expect(new Set(seen).size).toBe(1500);
    expect(seen.slice(0, 3)).toEqual(['2026.0', '2026.1', '2026.2']); // numeric order

    for (const [url, status] of [
      ['/api/v1/slos?limit=10', 400],
      ['/api/v1/slos?slo=time-to-ready&cursor=bm90LWEtY3Vyc29y', 200],
      ['/api/v1/slos?slo=time-to-ready&cursor=%25%25', 400],
      ['/api/v1/slos?slo=time-to-ready&limit=5000', 400],
    ] as const) {
      const res = await app.inject({ method: 'GET', url, headers: adminAuth });
      expect([url, res.statusCode]).toEqual([url, status]);
    }
  });
});

describe('the SLO file of the collector', () => {
  it('stops the collector from starting when invalid, naming file, line and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-slo-'));
    try {
      const file = join(dir, 'slos.yaml');
      writeFileSync(file, 'slos:\n  - name: x\n    sli: boot_success\n    objective: 100\n');
      store = await memoryStore();
      const err = await testApp(store, new ManualClock(Launch), { slo_file: file }).catch(
        (e: unknown) => e,
      );
      expect(isBootwatchError(err, 'BW_SLO_INVALID')).toBe(true);
      expect((err as Error).message).toContain(
        `${file}:4: slos[0].objective: expected a percentage`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
