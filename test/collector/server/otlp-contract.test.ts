// Issue 15 through the routes, on both stores: a report sent without IMDS is stored (item 1), its
// rejections are logged and counted, what breaks the contract is a partial success with nothing
// stored (item 7), bad heartbeats and events are 4xx or partial successes, never 5xx (item 8), the
// image registry refuses the names labels fold into (item 9), and identity checks cover every
// field the document signs (item 12).
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildCollector } from '../../../collector/server.js';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import { MetricName, ResourceAttr } from '../../../shared/conventions.js';
import {
  identityDocumentJson,
  identityHeaders,
  makeIdentityAuthority,
} from '../../support/identity-keys.js';
import { describeStores } from '../../support/stores.js';
import {
  adminAuth,
  agentAuth,
  otlpJson,
  postOtlp,
  storeSnapshot,
  collectorPerTest,
  testBoot,
  testConfig,
  type TestBoot,
} from './harness.js';

const now = Date.parse('2024-05-01T10:05:00Z');

/** A small real logger that keeps its lines, for Fastify's loggerInstance. */
class LineLogger {
  level = 'info';
  constructor(readonly lines: { level: string; msg: string }[] = []) {}
  private add(level: string, a: unknown, b?: unknown) {
    this.lines.push({ level, msg: typeof a === 'string' ? a : String(b ?? '') });
  }
  info(a: unknown, b?: unknown) {
    this.add('info', a, b);
  }
  warn(a: unknown, b?: unknown) {
    this.add('warn', a, b);
  }
  error(a: unknown, b?: unknown) {
    this.add('error', a, b);
  }
  fatal(a: unknown, b?: unknown) {
    this.add('fatal', a, b);
  }
  debug() {}
  trace() {}
  child() {
    return this;
  }
}

/** The OTLP/JSON body of boots, with some resource attributes left out. */
function without(boots: TestBoot[], keys: string[]): string {
  const body = JSON.parse(otlpJson(boots)) as {
    resourceMetrics: { resource: { attributes: { key: string }[] } }[];
  };
  for (const rm of body.resourceMetrics) {
    rm.resource.attributes = rm.resource.attributes.filter((a) => !keys.includes(a.key));
  }
  return JSON.stringify(body);
}

const ImdsFacts = [
  ResourceAttr.imageId,
  ResourceAttr.cloudRegion,
  ResourceAttr.cloudZone,
  ResourceAttr.cloudAccount,
  ResourceAttr.hostType,
];

const heartbeat = (point: object) =>
  JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: [{ key: 'host.id', value: { stringValue: 'i-0123456789abcdef0' } }],
        },
        scopeMetrics: [
          { metrics: [{ name: MetricName.heartbeat, gauge: { dataPoints: [point] } }] },
        ],
      },
    ],
  });

describeStores('issue 15 through POST /v1/metrics', (harness) => {
  let store: Store;
  let app: FastifyInstance;
  let log: LineLogger;
  const clock = new ManualClock(now);

  beforeEach(async () => {
    clock.set(now);
    store = await harness().open({ replicaId: 'test-replica', clock });
    log = new LineLogger();
    app = await buildCollector({
      config: testConfig(),
      store,
      clock,
      processMetrics: false,
      logger: log as unknown as FastifyBaseLogger,
    });
  });
  afterEach(() => app.close());

  it('stores a report sent without IMDS, its AMI id, region and type `unknown` (item 1)', async () => {
    const res = await postOtlp(app, without([testBoot()], ImdsFacts));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    const [stored] = await store.getBoots('i-0123456789abcdef0');
    expect(stored).toMatchObject({
      amiId: 'unknown',
      amiVersion: '2024.05.1',
      region: 'unknown',
      instanceType: 'unknown',
      outcome: 'success',
    });
    expect(stored?.accountId).toBeUndefined();
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /bootwatch_boots_total\{ami_id="unknown",ami_version="2024\.05\.1",region="unknown",[^}]*instance_type="unknown"[^}]*\} 1\n/,
    );
  });

  it('logs a rejection with its reason, rate-limited, and counts it on /metrics (item 1)', async () => {
    const keyless = without([testBoot()], [ResourceAttr.hostId]);
    const points = 2 + Object.keys(testBoot().phases).length;
    for (let i = 0; i < 12; i++) {
      const res = await postOtlp(app, keyless);
      expect(Number(res.json().partialSuccess.rejectedDataPoints)).toBe(points);
    }
    clock.advance(60_000);
    await postOtlp(app, keyless);
    const lines = log.lines.filter((l) => l.level === 'warn');
    expect(lines).toHaveLength(11);
    expect(lines[0]!.msg).toBe(
      `OTLP partial success: ${points} data points rejected: boot report of an instance without host.id ` +
        '(boot 6f1e1c2a-0b8e-4c1e-9d4f-3a2b1c0d9e8f) rejected (7 data points): host.id (instanceId): Expected required property',
    );
    expect(lines[10]!.msg).toMatch(/\(2 more partial successes not logged\)$/);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain(`bootwatch_rejected_data_points_total ${13 * points}\n`);
  });

  it.each([
    ['a success with the reason no_report', { reason: 'no_report' }],
    ['a failure with the reason none', { outcome: 'failure', reason: 'none' }],
    ['an agent-sent no_report', { outcome: 'failure', reason: 'no_report' }],
    [
      'an agent-sent terminated_before_ready',
      { outcome: 'failure', reason: 'terminated_before_ready' },
    ],
    ['launched_at 2024-02-30', { launchedAt: '2024-02-30T10:00:00Z' }],
    ['launched_at in 1970', { launchedAt: '1970-01-01T00:00:00Z' }],
    ['launched_at in 2099', { launchedAt: '2099-01-01T00:00:00Z' }],
    ['launched_at a day ahead', { launchedAt: '2024-05-02T10:05:00Z' }],
    ['a NUL in host.id', { instanceId: 'i-0123\u0000' }],
    ['a control character in the boot id', { bootId: 'boot\u0007' }],
    ['a lone surrogate in the version', { amiVersion: '2024.\ud800' }],
    ['a NUL in the Auto Scaling group', { asg: 'web\u0000' }],
  ] as [string, Partial<TestBoot>][])(
    'answers %s with a partial success and stores nothing (item 7)',
    async (_, change) => {
      const before = await storeSnapshot(store);
      const res = await postOtlp(app, otlpJson([testBoot(change)]));
      expect(res.statusCode).toBe(200);
      expect(Number(res.json().partialSuccess.rejectedDataPoints)).toBe(7);
      expect(await storeSnapshot(store)).toEqual(before);
    },
  );

  /** The instance of the heartbeats launched (events), so that coverage counts its heartbeat. */
  const launch = () =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json', ...agentAuth },
      payload: JSON.stringify({
        id: 'e-launch',
        source: 'aws.ec2',
        'detail-type': 'EC2 Instance State-change Notification',
        time: '2024-05-01T10:00:00Z',
        region: 'eu-west-1',
        account: '123456789012',
        detail: { 'instance-id': 'i-0123456789abcdef0', state: 'pending' },
      }),
    });

  it('counts a heartbeat at a true time in coverage (the control for the two below)', async () => {
    expect((await launch()).statusCode).toBe(200);
    const res = await postOtlp(app, heartbeat({ timeUnixNano: `${now - 1000}000000` }));
    expect(res.json()).toEqual({});
    expect(await store.coverage(0)).toEqual({ running: 1, heartbeating: 1 });
  });

  it('keeps the boots of a request whose heartbeat is 1e308, and answers 200, not 503 (item 8)', async () => {
    expect((await launch()).statusCode).toBe(200);
    const body = JSON.parse(otlpJson([testBoot()])) as { resourceMetrics: unknown[] };
    body.resourceMetrics.push(...JSON.parse(heartbeat({ asDouble: 1e308 })).resourceMetrics);
    const res = await postOtlp(app, JSON.stringify(body));
    expect(res.statusCode).toBe(200);
    expect(res.json().partialSuccess).toMatchObject({ rejectedDataPoints: '1' });
    expect(await store.getBoots('i-0123456789abcdef0')).toHaveLength(1);
    expect((await store.coverage(0)).heartbeating).toBe(0);
  });

  it('refuses a heartbeat dated year 5138 (a gauge of 1e11 s, no point time) (item 8)', async () => {
    expect((await launch()).statusCode).toBe(200);
    const res = await postOtlp(app, heartbeat({ asDouble: 1e11 }));
    expect(res.statusCode).toBe(200);
    expect(res.json().partialSuccess.errorMessage).toContain('the time 5138-');
    expect((await store.coverage(0)).heartbeating).toBe(0);
  });
});

describeStores('issue 15 through /v1/events and /api/v1/images', (harness) => {
  let store: Store;
  let app: FastifyInstance;
  const clock = new ManualClock(now);

  collectorPerTest(harness, clock, (s, a) => {
    store = s;
    app = a;
  });

  const event = (over: Record<string, unknown>, detail: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: 'e-1',
      source: 'aws.ec2',
      'detail-type': 'EC2 Instance State-change Notification',
      time: '2024-05-01T10:00:00Z',
      region: 'eu-west-1',
      account: '123456789012',
      ...over,
      detail: { 'instance-id': 'i-0123456789abcdef0', state: 'pending', ...detail },
    });
  const postEvents = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json', ...agentAuth },
      payload,
    });

  it.each([
    ['a NUL in the event id', event({ id: 'e-\u0000' })],
    ['a NUL in the instance id', event({}, { 'instance-id': 'i-1\u0000' })],
    ['a lone surrogate in the region', event({ region: 'eu-\udc00' })],
    ['an event dated 2099', event({ time: '2099-01-01T00:00:00Z' })],
  ])('answers %s with 400 and stores nothing (item 8)', async (_, payload) => {
    const before = await storeSnapshot(store);
    const res = await postEvents(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BW_EVENT_INVALID');
    expect(await storeSnapshot(store)).toEqual(before);
    expect(await store.getLaunch('i-0123456789abcdef0')).toBeNull();
  });

  const register = (body: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/images',
      headers: { 'content-type': 'application/json', ...adminAuth },
      payload: JSON.stringify({ amiId: 'ami-0123456789abcdef0', version: '2024.05.1', ...body }),
    });

  it.each([
    ['other', { version: 'other' }, 'names no version'],
    ['unknown', { version: 'unknown' }, 'names no version'],
    ['Other', { version: 'Other' }, 'names no version'],
    ['blank', { version: '   ' }, 'names no version'],
    ['padded', { version: ' 2024.05.1' }, 'starts or ends with whitespace'],
    ['NUL', { version: '2024\u0000' }, 'contains a control character'],
    ['control', { version: '2024\u001b[1m' }, 'contains a control character'],
    ['NUL in the name', { name: 'web\u0000' }, 'body/name: contains a control character'],
    ['NUL in the build', { build: { sha: 'abc\u0000' } }, 'body/build/sha: contains'],
  ])('refuses to register a version %s (item 9)', async (_, body, message) => {
    const res = await register(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BW_BODY_INVALID');
    expect(res.json().error.message).toContain(message);
    expect(await store.listImages()).toEqual([]);
  });

  it('registers a plain version', async () => {
    expect((await register({})).statusCode).toBe(201);
    expect(await store.listImages()).toHaveLength(1);
  });
});

describeStores('issue 15: identity documents (items 1 and 12)', (harness) => {
  const authority = makeIdentityAuthority();
  const clock = new ManualClock(now);
  let store: Store;
  let app: FastifyInstance;

  collectorPerTest(
    harness,
    clock,
    (s, a) => {
      store = s;
      app = a;
    },
    { token: null, identity_cert_dir: authority.certDir },
  );

  /** The document of testBoot()'s instance, with changes. */
  const signed = (change: Record<string, string> = {}) => ({
    authorization: '',
    ...identityHeaders(
      authority.sign(
        identityDocumentJson({
          instanceId: 'i-0123456789abcdef0',
          instanceType: 't3.micro',
          pendingTime: '2024-05-01T10:00:00Z',
          ...change,
        }),
      ),
    ),
  });

  it('takes the AMI id, region, type, zone and account a report leaves out from the document', async () => {
    const res = await postOtlp(app, without([testBoot()], ImdsFacts), signed());
    expect(res.statusCode).toBe(200);
    expect(await store.getBoots('i-0123456789abcdef0')).toEqual([
      expect.objectContaining({
        amiId: 'ami-0123456789abcdef0',
        region: 'eu-west-1',
        availabilityZone: 'eu-west-1a',
        instanceType: 't3.micro',
        accountId: '123456789012',
      }),
    ]);
  });

  it.each([
    ['another region', { region: 'us-east-1' }, 'cloud.region "eu-west-1" (signed: "us-east-1")'],
    ['another zone', { availabilityZone: 'eu-west-1b' }, 'cloud.availability_zone "eu-west-1a"'],
    ['another instance type', { instanceType: 'm6i.large' }, 'host.type "t3.micro"'],
    [
      'a launch a day away from pendingTime',
      { pendingTime: '2024-04-30T10:00:00Z' },
      'bootwatch.boot.launched_at "2024-05-01T10:00:00.000Z" (signed pendingTime: "2024-04-30T10:00:00Z"',
    ],
  ])(
    'refuses a report with %s than its document with 403, storing nothing',
    async (_, change, message) => {
      const before = await storeSnapshot(store);
      const res = await postOtlp(app, otlpJson([testBoot()]), signed(change));
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toContain('BW_AUTH_MISMATCH');
      expect(res.json().message).toContain(message);
      expect(await storeSnapshot(store)).toEqual(before);
    },
  );
});
