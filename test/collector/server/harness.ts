// Test support for the collector service tests: a configuration, an app on a store, OTLP/JSON
// boot exports built from DESIGN.md's OTLP mapping (not from the agent's code, so the two sides
// are checked against the contract, not against each other), and store snapshots.
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach } from 'vitest';
import { buildCollectorConfig, type CollectorConfig } from '../../../collector/config.js';
import { RpcStatus } from '../../../collector/otlp/otlp-proto-schema.js';
import { buildCollector } from '../../../collector/server.js';
import type { Store } from '../../../collector/store/store.js';
import type { Scheduler } from '../../../collector/sweeper.js';
import type { Clock } from '../../../shared/clock.js';
import type { StoreHarness } from '../../support/stores.js';
import {
  CloudPlatform,
  CloudProvider,
  MetricName,
  PointAttr,
  ResourceAttr,
  ServiceName,
  TimeToReadyBuckets,
  PhaseBuckets,
} from '../../../shared/conventions.js';

export const AgentToken = 'agent-token-for-tests';
export const AdminToken = 'admin-token-for-tests';
export const agentAuth = { authorization: `Bearer ${AgentToken}` };
export const adminAuth = { authorization: `Bearer ${AdminToken}` };

export function testConfig(file: Record<string, unknown> = {}): CollectorConfig {
  return buildCollectorConfig({
    file: { log_level: 'silent', token: AgentToken, admin_token: AdminToken, ...file },
    filePath: 'test',
    hostname: 'test-replica',
  });
}

export async function testApp(
  store: Store,
  clock: Clock,
  file: Record<string, unknown> = {},
): Promise<FastifyInstance> {
  return buildCollector({ config: testConfig(file), store, clock, processMetrics: false });
}

/**
 * For each test of a describeStores block: a new store of the harness and a collector on it,
 * handed to `use` before the test; the collector closed after it (the harness closes its stores).
 * Hooks registered before this call run before the store opens (a clock to set, say).
 */
export function collectorPerTest(
  harness: () => StoreHarness,
  clock: Clock,
  use: (store: Store, app: FastifyInstance) => void,
  file: Record<string, unknown> = {},
): void {
  let app: FastifyInstance | undefined;
  beforeEach(async () => {
    const store = await harness().open({ replicaId: 'test-replica', clock });
    app = await testApp(store, clock, file);
    use(store, app);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
}

export interface TestBoot {
  instanceId: string;
  bootId: string;
  amiId: string;
  amiVersion: string;
  region: string;
  instanceType: string;
  launchedAt: string;
  outcome: 'success' | 'failure';
  reason: string;
  timeToReadySeconds: number;
  phases: Record<string, number>;
  asg?: string;
  accountId?: string;
  firstBoot?: boolean;
}

export function testBoot(over: Partial<TestBoot> = {}): TestBoot {
  return {
    instanceId: 'i-0123456789abcdef0',
    bootId: '6f1e1c2a-0b8e-4c1e-9d4f-3a2b1c0d9e8f',
    amiId: 'ami-0123456789abcdef0',
    amiVersion: '2024.05.1',
    region: 'eu-west-1',
    instanceType: 't3.micro',
    launchedAt: '2024-05-01T10:00:00.000Z',
    outcome: 'success',
    reason: 'none',
    timeToReadySeconds: 42.5,
    phases: { provisioning: 12, kernel: 1.5, userspace: 3, cloud_init_init: 20, probe_wait: 4 },
    asg: 'web-asg',
    accountId: '123456789012',
    firstBoot: true,
    ...over,
  };
}

/** The resource attributes of a boot, as DESIGN.md's OTLP mapping lists them. */
export function bootAttributes(b: TestBoot): Record<string, string | boolean> {
  const attrs: Record<string, string | boolean> = {
    [ResourceAttr.cloudProvider]: CloudProvider,
    [ResourceAttr.cloudPlatform]: CloudPlatform,
    [ResourceAttr.cloudRegion]: b.region,
    [ResourceAttr.cloudZone]: `${b.region}a`,
    [ResourceAttr.hostId]: b.instanceId,
    [ResourceAttr.hostType]: b.instanceType,
    [ResourceAttr.hostArch]: 'amd64',
    [ResourceAttr.imageId]: b.amiId,
    [ResourceAttr.imageName]: `web-${b.amiVersion}`,
    [ResourceAttr.imageVersion]: b.amiVersion,
    [ResourceAttr.serviceName]: ServiceName,
    [ResourceAttr.bootId]: b.bootId,
    [ResourceAttr.bootFirst]: b.firstBoot ?? true,
    [ResourceAttr.bootLaunchedAt]: b.launchedAt,
  };
  if (b.asg !== undefined) attrs[ResourceAttr.asgName] = b.asg;
  if (b.accountId !== undefined) attrs[ResourceAttr.cloudAccount] = b.accountId;
  return attrs;
}

const kv = (attrs: Record<string, string | boolean>) =>
  Object.entries(attrs).map(([key, v]) => ({
    key,
    value: typeof v === 'boolean' ? { boolValue: v } : { stringValue: v },
  }));

function histogramPoint(
  value: number,
  bounds: readonly number[],
  attrs: Record<string, string>,
  nanos: string,
) {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  const i = bounds.findIndex((b) => value <= b);
  counts[i === -1 ? bounds.length : i] = 1;
  return {
    attributes: kv(attrs),
    startTimeUnixNano: nanos,
    timeUnixNano: nanos,
    count: '1',
    sum: value,
    min: value,
    max: value,
    bucketCounts: counts.map(String),
    explicitBounds: [...bounds],
  };
}

/** An OTLP/JSON ExportMetricsServiceRequest carrying the given boots, one resource each. */
export function otlpJson(boots: TestBoot[]): string {
  return JSON.stringify({
    resourceMetrics: boots.map((b) => {
      // A launch time that does not parse (a test of invalid reports) still needs point times.
      const launchedMs = Number.isNaN(Date.parse(b.launchedAt)) ? 0 : Date.parse(b.launchedAt);
      const nanos = `${launchedMs + Math.round(b.timeToReadySeconds * 1000)}000000`;
      const outcome = { [PointAttr.outcome]: b.outcome, [PointAttr.reason]: b.reason };
      return {
        resource: { attributes: kv(bootAttributes(b)) },
        scopeMetrics: [
          {
            scope: { name: 'bootwatch-agent' },
            metrics: [
              {
                name: MetricName.timeToReady,
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    histogramPoint(b.timeToReadySeconds, TimeToReadyBuckets, outcome, nanos),
                  ],
                },
              },
              {
                name: MetricName.outcome,
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [{ attributes: kv(outcome), timeUnixNano: nanos, asInt: '1' }],
                },
              },
              {
                name: MetricName.phaseDuration,
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: Object.entries(b.phases).map(([phase, s]) =>
                    histogramPoint(s, PhaseBuckets, { [PointAttr.phase]: phase }, nanos),
                  ),
                },
              },
            ],
          },
        ],
      };
    }),
  });
}

/** POSTs to /v1/metrics as an agent with the token; a header given as '' is left out. */
export function postOtlp(
  app: FastifyInstance,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  const all: Record<string, string> = {
    'content-type': 'application/json',
    ...agentAuth,
    ...headers,
  };
  for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
  return app.inject({ method: 'POST', url: '/v1/metrics', headers: all, payload: body });
}

/** The google.rpc.Status of an OTLP error answer, in whichever encoding it came. */
export function otlpStatus(res: {
  headers: Record<string, unknown>;
  rawPayload: Buffer;
  body: string;
}): {
  code: number;
  message: string;
} {
  if (String(res.headers['content-type']).startsWith('application/x-protobuf')) {
    return RpcStatus.toObject(RpcStatus.decode(res.rawPayload)) as {
      code: number;
      message: string;
    };
  }
  return JSON.parse(res.body) as { code: number; message: string };
}

/** Everything a write could have touched, to compare before and after a rejected request. */
export async function storeSnapshot(store: Store): Promise<unknown> {
  const boots = await store.queryBoots({ limit: 1000 });
  const counters = await store.loadCounters();
  const rollups = await store.rollups({ fromMs: 0, toMs: Date.parse('2100-01-01T00:00:00Z') });
  return { boots, counters, rollups, coverage: await store.coverage(0) };
}

/** The store with some methods replaced (a slow or failing write); the rest call the real one. */
export function withOverrides(store: Store, overrides: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const replaced = (overrides as Record<string | symbol, unknown>)[prop];
      if (replaced !== undefined) return replaced;
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}

/** Timers that fire only when the test says so. */
export class ManualScheduler implements Scheduler {
  readonly timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  every(ms: number, fn: () => void) {
    const t = { ms, fn, cancelled: false };
    this.timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }
  fire(ms: number) {
    for (const t of this.timers) if (t.ms === ms && !t.cancelled) t.fn();
  }
}
