// What extractBoots keeps of a report and what it rejects, against the contract of
// shared/boot-report.ts: reports without IMDS facts are boots (issue 15, item 1), reports that
// break the contract are rejected data points (item 7), heartbeats are held to the same rules
// (item 8). Bodies are made by the OpenTelemetry SDK (sdk-export.ts) or written out, as JSON.
import { describe, expect, it } from 'vitest';
import type { BootReport } from '../../../shared/boot-report.js';
import { MetricName, ResourceAttr } from '../../../shared/conventions.js';
import { extractBoots } from '../../../collector/otlp/boot-extract.js';
import type { RebuildContext } from '../../../collector/otlp/boot-rebuild.js';
import { decodeMetricsRequest } from '../../../collector/otlp/decode.js';
import {
  asJson,
  bootAttributes,
  failedBoot,
  recordBoot,
  sdkSource,
  successfulBoot,
} from './sdk-export.js';

/** An hour after the boots of sdk-export.ts, from a token caller. */
const received: RebuildContext = { receivedAtMs: Date.parse('2026-03-02T12:00:00Z'), known: {} };

type Attrs = Record<string, string | number | boolean>;

async function extract(
  boot: BootReport,
  change: (attrs: Attrs) => void = () => {},
  context: RebuildContext = received,
) {
  const attrs = bootAttributes(boot);
  change(attrs);
  const source = sdkSource(attrs);
  recordBoot(source.meter, boot);
  // JSON: protobuf carries UTF-8, where a lone surrogate cannot be written; JSON escapes can.
  const body = asJson(await source.collect());
  await source.shutdown();
  return extractBoots(decodeMetricsRequest(body, 'application/json'), context);
}

const withoutImds = (a: Attrs) => {
  for (const key of [
    ResourceAttr.imageId,
    ResourceAttr.cloudRegion,
    ResourceAttr.cloudZone,
    ResourceAttr.cloudAccount,
    ResourceAttr.hostType,
  ]) {
    delete a[key];
  }
};

describe('a report sent without IMDS facts is a boot (issue 15, item 1)', () => {
  it('is kept, its AMI id, region and instance type unknown', async () => {
    const result = await extract(successfulBoot, withoutImds);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const { accountId, availabilityZone, ...rest } = successfulBoot;
    expect([accountId, availabilityZone]).not.toContain(undefined);
    expect(result.boots).toEqual([
      { ...rest, amiId: 'unknown', region: 'unknown', instanceType: 'unknown' },
    ]);
  });

  it('takes what the report leaves out from the signed identity document', async () => {
    const known = {
      amiId: 'ami-0aaaaaaaaaaaaaaaa',
      region: 'us-east-2',
      instanceType: 'c7g.xlarge',
      accountId: '210987654321',
      availabilityZone: 'us-east-2c',
    };
    const result = await extract(successfulBoot, withoutImds, { ...received, known });
    expect(result.boots).toEqual([{ ...successfulBoot, ...known }]);
  });

  it('stores a version that was not sent as unknown, silently', async () => {
    const result = await extract(failedBoot, (a) => delete a[ResourceAttr.imageVersion]);
    expect(result.boots).toEqual([{ ...failedBoot, amiVersion: 'unknown' }]);
    expect(result.warnings).toEqual([]);
  });

  it.each(['other', 'OTHER', 'Unknown', '   '])(
    'stores the version %j as unknown, and says so',
    async (version) => {
      const result = await extract(failedBoot, (a) => (a[ResourceAttr.imageVersion] = version));
      expect(result.boots).toEqual([{ ...failedBoot, amiVersion: 'unknown' }]);
      expect(result.rejectedDataPoints).toBe(0);
      expect(result.warnings).toEqual([
        `boot report of instance ${failedBoot.instanceId} (boot ${failedBoot.bootId}): ` +
          `host.image.version ${JSON.stringify(version)} names no version (blank, or a name labels fold into); stored as "unknown"`,
      ]);
    },
  );

  it('takes an AMI id `other` for the signed one when there is a document', async () => {
    const known = { amiId: 'ami-0aaaaaaaaaaaaaaaa' };
    const result = await extract(failedBoot, (a) => (a[ResourceAttr.imageId] = 'other'), {
      ...received,
      known,
    });
    expect(result.boots).toEqual([{ ...failedBoot, amiId: known.amiId }]);
  });

  it.each([
    [ResourceAttr.hostId, 'host.id (instanceId): Expected required property'],
    [ResourceAttr.bootId, 'bootwatch.boot.id (bootId): Expected required property'],
  ])('rejects a report without %s: it cannot be keyed', async (key, message) => {
    const result = await extract(failedBoot, (a) => delete a[key]);
    expect(result.boots).toEqual([]);
    expect(result.errors[0]).toContain(message);
  });
});

describe('a report that breaks the contract is rejected (issue 15, item 7)', () => {
  const points = 2 + Object.keys(successfulBoot.phases).length;

  it.each([
    ['a success with the reason no_report', { reason: 'no_report' }, 'a success has the reason'],
    [
      'a failure with the reason none',
      { outcome: 'failure', reason: 'none' },
      'a failure an agent decides has one of the reasons',
    ],
    [
      'an agent-sent no_report',
      { outcome: 'failure', reason: 'no_report' },
      'a failure an agent decides',
    ],
    [
      'an agent-sent terminated_before_ready',
      { outcome: 'failure', reason: 'terminated_before_ready' },
      'a failure an agent decides',
    ],
    [
      'launched_at 2026-02-30',
      { launchedAt: '2026-02-30T10:15:30Z' },
      'bootwatch.boot.launched_at (launchedAt): Expected string to match',
    ],
    [
      'launched_at in 1970',
      { launchedAt: '1970-01-01T00:00:00Z', kernelStartedAt: '1970-01-01T00:00:10Z' },
      'launchedAt 1970-01-01T00:00:00.000Z is before 2006-08-25, when EC2 opened',
    ],
    [
      'launched_at in 2099',
      { launchedAt: '2099-01-01T00:00:00Z', kernelStartedAt: '2099-01-01T00:00:10Z' },
      'launchedAt 2099-01-01T00:00:00.000Z is more than 5m after it was received (2026-03-02T12:00:00.000Z)',
    ],
    [
      'launched_at a day ahead',
      { launchedAt: '2026-03-03T12:00:00Z', kernelStartedAt: '2026-03-03T12:00:10Z' },
      'launchedAt 2026-03-03T12:00:00.000Z is more than 5m after it was received',
    ],
    [
      'an outcome 6 minutes ahead',
      { launchedAt: '2026-03-02T12:05:00Z', kernelStartedAt: '2026-03-02T12:05:00Z' },
      'the outcome time, launchedAt + timeToReadySeconds = 2026-03-02T12:05:47.318Z is more than 5m after',
    ],
    [
      'a NUL in host.id',
      { instanceId: 'i-0abc\u0000' },
      'host.id (instanceId): contains a control character',
    ],
    [
      'an escape in the boot id',
      { bootId: '\u001b[2J' },
      'bootwatch.boot.id (bootId): contains a control character',
    ],
    [
      'a lone surrogate in the version',
      { amiVersion: '2026.\udc00' },
      'host.image.version (amiVersion): is not valid UTF-16',
    ],
    [
      'a C1 control in the region',
      { region: 'eu-west-1\u0085' },
      'cloud.region (region): contains a control character',
    ],
    ['a NUL in the Auto Scaling group', { asg: 'web\u0000' }, 'aws.autoscaling.group.name (asg)'],
  ] as [string, Partial<BootReport>, string][])('rejects %s', async (_, change, message) => {
    const result = await extract({ ...successfulBoot, ...change });
    expect(result.boots).toEqual([]);
    expect(result.rejectedDataPoints).toBe(points);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(message);
  });

  it('rejects a phase of 1e308 s as a data point, and keeps the boot without it', async () => {
    const boot = { ...successfulBoot, phases: { ...successfulBoot.phases, kernel: 1e308 } };
    const result = await extract(boot);
    const { kernel, ...phases } = boot.phases;
    expect(kernel).toBe(1e308);
    expect(result.boots).toEqual([{ ...successfulBoot, phases }]);
    expect(result.rejectedDataPoints).toBe(1);
    expect(result.errors[0]).toContain(
      'phase kernel: expected one observation of 0 to 2678400 s, got count 1 and 1e+308 s',
    );
  });

  it('keeps a failure whose detail holds a NUL, with U+FFFD in its place', async () => {
    const boot = { ...failedBoot, failureDetail: 'scripts-user: \u0000\u001b[31mfailed' };
    const result = await extract(boot);
    expect(result.boots).toEqual([
      { ...failedBoot, failureDetail: 'scripts-user: \ufffd\ufffd[31mfailed' },
    ]);
    expect(result.rejectedDataPoints).toBe(0);
    expect(result.warnings[0]).toContain('bootwatch.boot.failure_detail');
  });
});

describe('heartbeats are held to the same rules (issue 15, item 8)', () => {
  const heartbeatBody = (point: object, attrs: Record<string, string> = { 'host.id': 'i-1' }) =>
    Buffer.from(
      JSON.stringify({
        resourceMetrics: [
          {
            resource: {
              attributes: Object.entries(attrs).map(([key, v]) => ({
                key,
                value: { stringValue: v },
              })),
            },
            scopeMetrics: [
              { metrics: [{ name: MetricName.heartbeat, gauge: { dataPoints: [point] } }] },
            ],
          },
        ],
      }),
    );
  const extractJson = (body: Buffer) =>
    extractBoots(decodeMetricsRequest(body, 'application/json'), received);
  const at = (iso: string) => `${Date.parse(iso)}000000`;

  it('keeps a heartbeat without IMDS facts, at its point time', () => {
    const result = extractJson(heartbeatBody({ timeUnixNano: at('2026-03-02T11:59:00Z') }));
    expect(result.errors).toEqual([]);
    expect(result.heartbeats).toEqual([
      {
        instanceId: 'i-1',
        amiId: 'unknown',
        amiVersion: 'unknown',
        region: 'unknown',
        asg: '',
        atMs: Date.parse('2026-03-02T11:59:00Z'),
      },
    ]);
  });

  it.each([
    ['a value of 1e308 s and no time', { asDouble: 1e308 }, 'the time Infinity is more than 5m'],
    [
      'a time in year 5138',
      { timeUnixNano: at('5138-01-01T00:00:00Z') },
      'the time 5138-01-01T00:00:00.000Z is more than 5m after it was received',
    ],
    [
      'a time in 2001',
      { timeUnixNano: at('2001-01-01T00:00:00Z') },
      'the time 2001-01-01T00:00:00.000Z is before 2006-08-25',
    ],
    ['no time at all', { asDouble: 0 }, 'no data point carries a time'],
  ])('rejects a heartbeat with %s', (_, point, message) => {
    const result = extractJson(heartbeatBody(point));
    expect(result.heartbeats).toEqual([]);
    expect(result.rejectedDataPoints).toBe(1);
    expect(result.errors[0]).toContain(message);
  });

  it.each([
    ['host.id', 'i-1\u0000'],
    ['host.image.version', 'v\u0007'],
    ['aws.autoscaling.group.name', 'web\ud800'],
  ])('rejects a heartbeat whose %s is not printable', (key, value) => {
    const point = { timeUnixNano: at('2026-03-02T11:59:00Z') };
    const result = extractJson(heartbeatBody(point, { 'host.id': 'i-1', [key]: value }));
    expect(result.heartbeats).toEqual([]);
    expect(result.errors[0]).toContain(`${key} (`);
  });
});
