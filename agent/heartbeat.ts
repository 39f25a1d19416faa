// Heartbeat mode: after the boot report, a gauge every interval, so that the collector can tell
// instances whose agent runs from instances that have none (agent coverage). The heartbeat
// resource carries the instance's identity but no boot id: it is not a boot report.
import { CloudPlatform, CloudProvider, ResourceAttr, ServiceName } from '../shared/conventions.js';
import { errorMessage } from '../shared/errors.js';
import { BootwatchVersion } from '../shared/version.js';
import type { AgentConfig } from './config.js';
import { sendMetrics } from './deliver.js';
import { readImageManifest, resolveAmiVersion } from './image-manifest.js';
import { createImdsClient } from './imds-client.js';
import { readInstanceIdentity } from './instance-identity.js';
import { collectHeartbeat, type Attributes } from './otlp-report.js';
import type { AgentRuntime } from './run-agent.js';
import { spooledIdentity, type SpooledIdentity } from './spool.js';

async function heartbeatAttributes(
  config: AgentConfig,
  rt: AgentRuntime,
): Promise<{
  attributes: Attributes;
  identity: SpooledIdentity | null;
}> {
  const client = createImdsClient({
    endpoint: config.imds.endpoint,
    perRequestTimeoutMs: config.imds.timeout,
    totalBudgetMs: config.imds.budget,
    allowV1: config.imds.allow_v1,
    clock: rt.clock,
    sleep: rt.sleep,
  });
  try {
    const identity = await readInstanceIdentity(client, {
      tagsEnabled: config.imds.tags,
      versionTag: config.imds.version_tag,
    });
    const manifest = await readImageManifest(config.root, config.manifest);
    const version = resolveAmiVersion({
      manifest: manifest.manifest,
      versionTagValue: identity.versionTagValue,
    });
    const d = identity.document;
    const attributes: Attributes = {
      [ResourceAttr.serviceName]: ServiceName,
      [ResourceAttr.serviceVersion]: BootwatchVersion,
      [ResourceAttr.cloudProvider]: CloudProvider,
      [ResourceAttr.cloudPlatform]: CloudPlatform,
      [ResourceAttr.hostId]: d.instanceId,
      [ResourceAttr.imageId]: d.imageId,
      [ResourceAttr.imageVersion]: version.version,
      [ResourceAttr.cloudRegion]: d.region,
      [ResourceAttr.cloudAccount]: d.accountId,
      [ResourceAttr.hostType]: d.instanceType,
    };
    if (identity.asgName) attributes[ResourceAttr.asgName] = identity.asgName;
    const signed = config.collector.send_identity ? spooledIdentity(identity) : null;
    return { attributes, identity: signed };
  } finally {
    client.close();
  }
}

/** Sends a heartbeat every interval until SIGTERM/SIGINT (or `maxBeats`, for tests). */
export async function runHeartbeats(
  config: AgentConfig,
  collectorUrl: string,
  rt: AgentRuntime,
  bootId: string,
  maxBeats = Number.POSITIVE_INFINITY,
): Promise<void> {
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const { attributes, identity } = await heartbeatAttributes(config, rt);
    rt.log(`boot ${bootId}: heartbeat every ${config.heartbeat.interval / 1000}s`);
    for (let beat = 0; beat < maxBeats && !stopping; beat++) {
      const metrics = await collectHeartbeat(attributes, rt.clock.now());
      const result = await sendMetrics(
        metrics,
        {
          collectorUrl,
          token: config.collector.token ?? null,
          timeoutMs: config.collector.timeout,
        },
        identity,
      );
      if (!result.ok) rt.log(`heartbeat not acknowledged: ${result.message}`);
      if (beat + 1 < maxBeats) await rt.sleep(config.heartbeat.interval);
    }
  } catch (e) {
    rt.log(`heartbeats stopped: ${errorMessage(e)}`);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
