// Distinct OTLP boot reports for load: one body made by the real OpenTelemetry serializers from the
// agent's own metric builder, then stamped per request with a new instance id, boot id and launch
// time of the same length (so that a protobuf body stays valid byte for byte). Every request is a
// new boot: the collector has to write it. Heartbeats alike: the agent's heartbeat body, stamped with the
// instance id of one instance of a fleet, in turn.
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import {
  bootResourceAttributes,
  collectBootMetrics,
  collectHeartbeat,
} from '../agent/otlp-report.js';
import type { BootReport } from '../shared/boot-report.js';
import { CloudPlatform, CloudProvider, ResourceAttr, ServiceName } from '../shared/conventions.js';

const TemplateInstance = 'i-0ffffffffffffffff';
const TemplateBoot = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
/** Replaced in each boot body by the time it is made, less two minutes (same length). */
const TemplateLaunchedAt = '2001-02-03T04:05:06.789Z';
/** How long before a body is made its instance launched. */
const LaunchAgoMs = 120_000;

export interface BodyFactory {
  contentType: string;
  /** The body of boot number n (n < 2^60). */
  body(n: number): Buffer;
}

/**
 * Boot n's ids. Instance ids are 17 hex digits in no order, as EC2 makes them: n times an odd
 * constant modulo 2^68, which is one-to-one. Sequential ids would append at the end of every
 * index, which real instance ids never do, and flatter the store.
 */
function ids(n: number): { instance: string; boot: string } {
  const hex = ((BigInt(n) * 0x9e3779b97f4a7c15n) & 0xfffffffffffffffffn)
    .toString(16)
    .padStart(17, '0');
  return {
    instance: `i-${hex}`,
    boot: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-8${hex.slice(15, 17)}0-000000000000`,
  };
}

/** The instance id of boot n, and of heartbeat body n - 1 of a fleet larger than n. */
export function instanceIdOf(n: number): string {
  return ids(n).instance;
}

function positions(buf: Buffer, needle: string): number[] {
  const out: number[] = [];
  for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + 1)) out.push(i);
  return out;
}

export async function bootBodies(kind: 'json' | 'protobuf'): Promise<BodyFactory> {
  const report: BootReport = {
    instanceId: TemplateInstance,
    bootId: TemplateBoot,
    firstBoot: true,
    launchedAt: TemplateLaunchedAt,
    amiId: 'ami-0bench0000000001a',
    amiVersion: 'bench-1.0.0',
    region: 'eu-west-1',
    availabilityZone: 'eu-west-1a',
    accountId: '123456789012',
    instanceType: 'm7i.large',
    asg: 'bench-asg',
    outcome: 'success',
    reason: 'none',
    timeToReadySeconds: 71.25,
    phases: {
      provisioning: 20,
      kernel: 1.5,
      userspace: 2,
      cloud_init_init: 8,
      cloud_init_modules_final: 14,
      probe_wait: 20,
    },
  };
  const metrics = await collectBootMetrics(
    report,
    bootResourceAttributes(report, { 'os.type': 'linux' }, 'bench'),
  );
  return stamped(kind, metrics, (n) => ids(n), true);
}

/**
 * Heartbeats of a fleet of `fleet` instances: body n is a heartbeat of instance n mod fleet (its
 * id that of boot n mod fleet + 1 in bootBodies), with the agent's heartbeat attributes.
 */
export async function heartbeatBodies(
  kind: 'json' | 'protobuf',
  fleet: number,
): Promise<BodyFactory> {
  const metrics = await collectHeartbeat(
    {
      [ResourceAttr.serviceName]: ServiceName,
      [ResourceAttr.cloudProvider]: CloudProvider,
      [ResourceAttr.cloudPlatform]: CloudPlatform,
      [ResourceAttr.hostId]: TemplateInstance,
      [ResourceAttr.imageId]: 'ami-0bench0000000001a',
      [ResourceAttr.imageVersion]: 'bench-1.0.0',
      [ResourceAttr.cloudRegion]: 'eu-west-1',
      [ResourceAttr.cloudAccount]: '123456789012',
      [ResourceAttr.hostType]: 'm7i.large',
      [ResourceAttr.asgName]: 'bench-asg',
    },
    Date.now(),
  );
  return stamped(kind, metrics, (n) => ids((n % fleet) + 1));
}

/**
 * The serialized template, with the template ids replaced by those of body n, and (boots) the
 * launch time by the time the body is made, less LaunchAgoMs. Launch times advance as a fleet's
 * do: a fixed one would give every boot the same outcome time, so that the store's index by
 * outcome time would take them in instance-id order, at random, as no fleet's reports arrive
 * (every write would dirty a page of it that the last did not).
 */
function stamped(
  kind: 'json' | 'protobuf',
  metrics: ResourceMetrics,
  idsOf: (n: number) => { instance: string; boot: string },
  launchTimes = false,
): BodyFactory {
  const serializer = kind === 'json' ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  const template = Buffer.from(serializer.serializeRequest(metrics)!);
  const at = {
    instance: positions(template, TemplateInstance),
    boot: positions(template, TemplateBoot),
    launchedAt: launchTimes ? positions(template, TemplateLaunchedAt) : [],
  };
  if (at.instance.length === 0) throw new Error('template ids not found in the body');
  if (launchTimes && at.launchedAt.length === 0) {
    throw new Error('template launch time not found in the body');
  }
  return {
    contentType: kind === 'json' ? 'application/json' : 'application/x-protobuf',
    body(n) {
      const out = Buffer.from(template);
      const id = idsOf(n);
      for (const p of at.instance) out.write(id.instance, p, 'latin1');
      for (const p of at.boot) out.write(id.boot, p, 'latin1');
      if (at.launchedAt.length > 0) {
        const launchedAt = new Date(Date.now() - LaunchAgoMs).toISOString();
        for (const p of at.launchedAt) out.write(launchedAt, p, 'latin1');
      }
      return out;
    },
  };
}
