// Fuzzed bodies through the real ingest path (routes, decoding, rebuild, both stores), checking
// the contract of shared/boot-report.ts on what lands in the store (issue 15, items 7 and 8):
// - POST /v1/metrics: never a 5xx against a healthy store; a boot is stored exactly when the
//   answer does not reject it, and every stored boot keeps the schema and the contract; every
//   stored heartbeat is printable and dated within ReportTimeBounds;
// - POST /v1/events: 200 or 400, never a 5xx; a 400 changes nothing; every stored launch is
//   printable and not dated in the future.
// Each body carries one boot (and maybe a heartbeat) of an instance id no other run uses.
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { expect, it } from 'vitest';
import type { StoredBoot } from '../../../collector/model.js';
import type { Store } from '../../../collector/store/store.js';
import {
  bootReportProblems,
  contractProblems,
  ReportTimeBounds,
  saysUnknown,
  type BootReport,
} from '../../../shared/boot-report.js';
import { ManualClock } from '../../../shared/clock.js';
import {
  MetricName,
  Phases,
  PointAttr,
  Reasons,
  ResourceAttr,
} from '../../../shared/conventions.js';
import { isFreeText, isPrintable } from '../../../shared/text.js';
import { describeStores, type StoreHarness } from '../../support/stores.js';
import { agentAuth, postOtlp, collectorPerTest } from './harness.js';

const now = Date.parse('2026-03-02T12:00:00Z');
const Day = 86_400_000;

/** Text as senders get it wrong: control characters, lone surrogates, folded names, blanks. */
const nasty = fc.constantFrom(
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u0085',
  '\ud800',
  '\udc00x',
  '\n',
  'other',
  'unknown',
  'Other',
  '',
  '   ',
);
const text = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom('i-0abc', 'eu-west-1', '2026.03.1', 'web-asg', 'm7g.large'),
  },
  { weight: 2, arbitrary: nasty },
  { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 4 }), nasty).map(([a, b]) => a + b) },
);

/** RFC 3339 or not, true or impossible, near the clock or far from it. */
const instant = fc.oneof(
  fc.integer({ min: -2 * Day, max: Day }).map((d) => new Date(now + d).toISOString()),
  fc
    .integer({ min: -3 * 365 * Day, max: 80 * 365 * Day })
    .map((d) => new Date(now + d).toISOString()),
  fc.constantFrom(
    '2026-02-30T10:00:00Z',
    '1970-01-01T00:00:00Z',
    '2099-01-01T00:00:00Z',
    '0050-01-01T00:00:00Z',
    '2026-03-02T10:00:00',
    'yesterday',
  ),
);

const seconds = fc.oneof(
  fc.double({ min: 0, max: 900, noNaN: true }),
  fc.constantFrom(-1, 0, 1e308, 5e6, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });

const bootShape = fc.record({
  idPrefix: fc.oneof(fc.constant('i-0'), text),
  bootId: text,
  first: fc.oneof(fc.boolean(), fc.constantFrom<unknown>('true', 1, 'yes')),
  launchedAt: instant,
  kernelStartedAt: maybe(instant),
  amiId: maybe(text),
  amiVersion: maybe(text),
  region: maybe(text),
  instanceType: maybe(text),
  zone: maybe(text),
  account: maybe(text),
  asg: maybe(text),
  detail: maybe(fc.oneof(text, fc.string({ maxLength: 40, unit: 'binary' }))),
  outcome: fc.constantFrom('success', 'failure', 'crashed'),
  reason: fc.constantFrom(...Reasons, 'bogus'),
  ttr: seconds,
  phases: fc.dictionary(fc.constantFrom(...Phases, 'grub'), seconds, { maxKeys: 4 }),
  heartbeat: maybe(
    fc.oneof(
      fc.record({ asDouble: seconds.map((s) => s * 1e6) }),
      fc.record({ timeUnixNano: instant.map((t) => `${Math.max(0, Date.parse(t) || 0)}000000`) }),
      fc.record({ timeUnixNano: fc.constantFrom('99999999999999999999', '18446744073709551615') }),
    ),
  ),
});
type BootShape = typeof bootShape extends fc.Arbitrary<infer T> ? T : never;

function kv(key: string, v: unknown) {
  if (typeof v === 'boolean') return { key, value: { boolValue: v } };
  if (typeof v === 'number') return { key, value: { intValue: String(v) } };
  return { key, value: { stringValue: String(v) } };
}

function otlpBody(s: BootShape, instanceId: string): string {
  const attrs: unknown[] = [
    kv(ResourceAttr.hostId, instanceId),
    kv(ResourceAttr.bootId, s.bootId),
    kv(ResourceAttr.bootFirst, s.first),
    kv(ResourceAttr.bootLaunchedAt, s.launchedAt),
  ];
  const optional: [string, string | undefined][] = [
    [ResourceAttr.bootKernelStartedAt, s.kernelStartedAt],
    [ResourceAttr.imageId, s.amiId],
    [ResourceAttr.imageVersion, s.amiVersion],
    [ResourceAttr.cloudRegion, s.region],
    [ResourceAttr.hostType, s.instanceType],
    [ResourceAttr.cloudZone, s.zone],
    [ResourceAttr.cloudAccount, s.account],
    [ResourceAttr.asgName, s.asg],
    [ResourceAttr.failureDetail, s.detail],
  ];
  for (const [key, v] of optional) if (v !== undefined) attrs.push(kv(key, v));
  const point = (value: number, attributes: unknown[]) => ({
    attributes,
    timeUnixNano: `${now}000000`,
    count: '1',
    sum: value,
  });
  const outcome = [kv(PointAttr.outcome, s.outcome), kv(PointAttr.reason, s.reason)];
  const metrics: unknown[] = [
    { name: MetricName.timeToReady, histogram: { dataPoints: [point(s.ttr, outcome)] } },
    {
      name: MetricName.outcome,
      sum: { isMonotonic: true, dataPoints: [{ attributes: outcome, asInt: '1' }] },
    },
    {
      name: MetricName.phaseDuration,
      histogram: {
        dataPoints: Object.entries(s.phases).map(([p, v]) => point(v, [kv(PointAttr.phase, p)])),
      },
    },
  ];
  if (s.heartbeat !== undefined) {
    metrics.push({ name: MetricName.heartbeat, gauge: { dataPoints: [s.heartbeat] } });
  }
  return JSON.stringify({
    resourceMetrics: [{ resource: { attributes: attrs }, scopeMetrics: [{ metrics }] }],
  });
}

/** The report part of a stored boot, as the schema knows it. */
function reportOf(stored: StoredBoot): BootReport {
  const { source, receivedAtMs, outcomeAtMs, ...report } = stored;
  expect([source, typeof receivedAtMs, typeof outcomeAtMs]).toEqual(['agent', 'number', 'number']);
  for (const k of Object.keys(report) as (keyof BootReport)[]) {
    if (report[k] === undefined || report[k] === null) delete report[k];
  }
  return report as BootReport;
}

async function count(harness: StoreHarness, table: string): Promise<number> {
  const [row] = await harness.sql(`SELECT count(*) AS n FROM ${table}`);
  return Number(row?.n);
}

const runs = Number(process.env.BOOTWATCH_FUZZ_RUNS ?? 150);

describeStores('fuzzed bodies through the ingest path', (harness) => {
  let store: Store;
  let app: FastifyInstance;
  const clock = new ManualClock(now);

  collectorPerTest(harness, clock, (s, a) => {
    store = s;
    app = a;
  });

  it('POST /v1/metrics: no 5xx, stored exactly when not rejected, every stored boot keeps the contract', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(bootShape, async (s) => {
        n += 1;
        const instanceId = `${s.idPrefix}${n.toString(16)}`;
        const before = await count(harness(), 'boots');
        const res = await postOtlp(app, otlpBody(s, instanceId));
        expect(res.statusCode).toBeLessThan(500);
        const added = (await count(harness(), 'boots')) - before;
        // The boot has 2 + phases data points; a kept boot loses at most its phases and the
        // heartbeat (one point), so as many rejected points as the boot has means it was rejected.
        const partial = res.statusCode === 200 ? res.json().partialSuccess : undefined;
        const message: string = partial?.errorMessage ?? res.body;
        const bootPoints = 2 + Object.keys(s.phases).length;
        const rejected =
          res.statusCode !== 200 || Number(partial?.rejectedDataPoints ?? 0) >= bootPoints;
        expect(added, message).toBe(rejected ? 0 : 1);
        if (rejected) return;
        const [stored] = await store.getBoots(instanceId);
        const report = reportOf(stored!);
        expect(bootReportProblems(report)).toEqual([]);
        expect(contractProblems(report, { receivedAtMs: now, decidedBy: 'agent' })).toEqual([]);
        for (const fact of [report.amiId, report.amiVersion, report.region, report.instanceType]) {
          expect(fact === 'unknown' || !saysUnknown(fact)).toBe(true);
        }
        if (report.failureDetail !== undefined) expect(isFreeText(report.failureDetail)).toBe(true);
      }),
      { numRuns: runs },
    );
    const beats = await harness().sql('SELECT * FROM heartbeats');
    for (const b of beats) {
      for (const k of ['instance_id', 'ami_id', 'ami_version', 'region', 'asg']) {
        expect(isPrintable(String(b[k]))).toBe(true);
      }
      const at = Number(b.at_ms);
      expect(at).toBeGreaterThanOrEqual(ReportTimeBounds.earliestMs);
      expect(at).toBeLessThanOrEqual(now + ReportTimeBounds.aheadMs);
    }
  }, 120_000);

  const envelope = fc.record({
    id: text,
    region: text,
    account: text,
    time: instant,
    kind: fc.constantFrom('state', 'asg-launch', 'asg-failed', 'cloudtrail'),
    instanceId: text,
    asg: text,
    zone: text,
    message: fc.string({ maxLength: 20, unit: 'binary' }),
    launchTime: fc.oneof(
      instant,
      fc.constantFrom<unknown>(Number.MAX_SAFE_INTEGER, 1e308, -1, 0, 1.5, '12'),
    ),
  });
  type Envelope = typeof envelope extends fc.Arbitrary<infer T> ? T : never;

  function eventBody(e: Envelope, n: number): string {
    const head = {
      id: `${e.id}${n}`,
      region: e.region,
      account: e.account,
      time: e.time,
      version: '0',
      resources: [],
    };
    switch (e.kind) {
      case 'state':
        return JSON.stringify({
          ...head,
          source: 'aws.ec2',
          'detail-type': 'EC2 Instance State-change Notification',
          detail: { 'instance-id': `${e.instanceId}${n}`, state: 'pending' },
        });
      case 'asg-launch':
      case 'asg-failed':
        return JSON.stringify({
          ...head,
          source: 'aws.autoscaling',
          'detail-type':
            e.kind === 'asg-launch'
              ? 'EC2 Instance Launch Successful'
              : 'EC2 Instance Launch Unsuccessful',
          detail: {
            EC2InstanceId: `${e.instanceId}${n}`,
            AutoScalingGroupName: e.asg,
            StartTime: e.time,
            EndTime: e.time,
            StatusMessage: e.message,
            Details: { 'Availability Zone': e.zone },
          },
        });
      default:
        return JSON.stringify({
          ...head,
          source: 'aws.ec2',
          'detail-type': 'AWS API Call via CloudTrail',
          detail: {
            eventSource: 'ec2.amazonaws.com',
            eventName: 'RunInstances',
            responseElements: {
              instancesSet: {
                items: [
                  {
                    instanceId: `${e.instanceId}${n}`,
                    imageId: 'ami-0123456789abcdef0',
                    launchTime: e.launchTime,
                    placement: { availabilityZone: e.zone },
                    tagSet: { items: [{ key: 'aws:autoscaling:groupName', value: e.asg }] },
                  },
                ],
              },
            },
          },
        });
    }
  }

  it('POST /v1/events: 200 or 400, never a 5xx; a 400 changes nothing; launches are printable and not in the future', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(envelope, async (e) => {
        n += 1;
        const before = [await count(harness(), 'launches'), await count(harness(), 'events')];
        const res = await app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { 'content-type': 'application/json', ...agentAuth },
          payload: eventBody(e, n),
        });
        expect([200, 400], res.body).toContain(res.statusCode);
        const after = [await count(harness(), 'launches'), await count(harness(), 'events')];
        if (res.statusCode === 400) expect(after).toEqual(before);
      }),
      { numRuns: runs },
    );
    const launches = await harness().sql('SELECT * FROM launches');
    for (const l of launches) {
      for (const k of [
        'instance_id',
        'ami_id',
        'region',
        'account_id',
        'availability_zone',
        'asg',
      ]) {
        if (l[k] !== null) expect(isPrintable(String(l[k]))).toBe(true);
      }
      if (l.status_message !== null) expect(isFreeText(String(l.status_message))).toBe(true);
      expect(Number(l.launched_at_ms)).toBeLessThanOrEqual(now + ReportTimeBounds.aheadMs);
    }
  }, 120_000);
});
