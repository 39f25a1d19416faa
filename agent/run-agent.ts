// One run of the agent: observe this boot, judge it, spool the report, deliver it. The order is
// what makes delivery exactly-once per boot (with the collector's dedup by boot key):
//   1. a boot already acknowledged (sent/<bootId>) is never reported again;
//   2. a boot already spooled (pending/<bootId>.json) is re-sent as it was, never re-observed;
//   3. otherwise the boot is observed, judged, and spooled before the first send.
// Nothing here throws at the boot: every source degrades to a note, and a failure of the agent
// itself still produces a report (reason agent_error) when a boot key is known.
import { readFile } from 'node:fs/promises';
import type { BootReport } from '../shared/boot-report.js';
import type { Clock } from '../shared/clock.js';
import { ResourceAttr, UnknownVersion } from '../shared/conventions.js';
import { errorMessage, isBootwatchError } from '../shared/errors.js';
import { BootwatchVersion } from '../shared/version.js';
import { judgeBoot, type BootIdentity, type ObservedCloudInit } from './boot-judge.js';
import { waitForCloudInit } from './cloud-init.js';
import type { CloudInitState } from './cloud-init-status.js';
import type { AgentConfig } from './config.js';
import { deliverPending, type DeliveryOutcome, type LogLevel } from './deliver.js';
import { readHostFacts } from './host-facts.js';
import { readImageManifest, resolveAmiVersion } from './image-manifest.js';
import { createImdsClient } from './imds-client.js';
import { readInstanceIdentity, type InstanceIdentity } from './instance-identity.js';
import { readKernel, type KernelFacts } from './kernel.js';
import { bootResourceAttributes, type Attributes } from './otlp-report.js';
import { observeProbes, probesNotRun } from './probe-observation.js';
import { rootPath } from './root-path.js';
import { Spool, spooledIdentity, type SpoolEntry } from './spool.js';
import { failedUnits } from './systemd.js';

export interface AgentRuntime {
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  log: (msg: string, level?: LogLevel) => void;
}

export interface BuiltReport {
  entry: SpoolEntry;
  notes: string[];
  /** Sources this machine did not offer, one plain sentence each ("IMDS: ..."). */
  unobserved: string[];
}

/** Where an instance id can be found when IMDS cannot be read: cloud-init's cache, then DMI. */
const FallbackInstanceIdFiles = [
  '/var/lib/cloud/data/instance-id',
  '/sys/devices/virtual/dmi/id/board_asset_tag',
];

async function fallbackInstanceId(root: string): Promise<string | null> {
  for (const file of FallbackInstanceIdFiles) {
    try {
      const id = (await readFile(rootPath(root, file), 'utf8')).trim();
      if (/^i-[0-9a-f]{8,32}$/.test(id)) return id;
    } catch {
      // next source
    }
  }
  return null;
}

async function readIdentity(
  config: AgentConfig,
  rt: AgentRuntime,
  notes: string[],
  unobserved: string[],
): Promise<InstanceIdentity | null> {
  const client = createImdsClient({
    endpoint: config.imds.endpoint,
    tokenTtlSeconds: Math.max(1, Math.min(21600, Math.round(config.imds.token_ttl / 1000))),
    perRequestTimeoutMs: config.imds.timeout,
    totalBudgetMs: config.imds.budget,
    allowV1: config.imds.allow_v1,
    clock: rt.clock,
    sleep: rt.sleep,
    log: rt.log,
  });
  try {
    const identity = await readInstanceIdentity(client, {
      tagsEnabled: config.imds.tags,
      versionTag: config.imds.version_tag,
    });
    notes.push(...identity.notes);
    return identity;
  } catch (e) {
    const why = isBootwatchError(e) ? `${e.code}: ${e.message}` : errorMessage(e);
    unobserved.push(`IMDS (${why}): no instance identity; the launch is the kernel's boot time`);
    return null;
  } finally {
    client.close();
  }
}

function observedCloudInit(s: CloudInitState): ObservedCloudInit {
  const stage = (name: 'init-local' | 'init' | 'modules-config' | 'modules-final') =>
    s.stages[name];
  return {
    state: s.state,
    stages: [
      { name: 'init_local', ...stage('init-local') },
      { name: 'init', ...stage('init') },
      { name: 'modules_config', ...stage('modules-config') },
      { name: 'modules_final', ...stage('modules-final') },
    ],
    finishedAtMs: s.finishedAtMs,
    errors: s.errors.map((e) => (e.stage ? `${e.stage}: ${e.message}` : e.message)),
  };
}

/** Observes and judges this boot. `kernel` is read by the caller: without it there is no boot key. */
export async function buildReport(
  config: AgentConfig,
  kernel: KernelFacts,
  rt: AgentRuntime,
  isFirstBoot: (instanceId: string) => boolean,
): Promise<BuiltReport> {
  const lookedAtMs = rt.clock.now();
  const notes: string[] = [...kernel.notes];
  const unobserved: string[] = [];
  // Host facts and the manifest do not depend on IMDS: read them while IMDS answers.
  const hostFactsP = readHostFacts({ timeoutMs: 2000 });
  const manifestP = readImageManifest(config.root, config.manifest);
  const identity = await readIdentity(config, rt, notes, unobserved);
  const manifest = await manifestP;
  notes.push(...manifest.notes);
  const version = resolveAmiVersion({
    manifest: manifest.manifest,
    versionTagValue: identity?.versionTagValue ?? null,
  });
  notes.push(...version.notes);

  const doc = identity?.document;
  const instanceId =
    doc?.instanceId ?? (await fallbackInstanceId(config.root)) ?? `unknown-${kernel.bootId}`;
  const firstBoot = isFirstBoot(instanceId);
  const pendingTimeMs = doc ? Date.parse(doc.pendingTime) : null;
  const launchMs =
    firstBoot && pendingTimeMs !== null && pendingTimeMs <= kernel.kernelBootMs
      ? pendingTimeMs
      : kernel.kernelBootMs;
  const deadlineAt = launchMs + config.deadline;

  const bootIdentity: BootIdentity = {
    instanceId,
    amiId: doc?.imageId ?? manifest.manifest?.ami_id ?? '',
    amiVersion: version.version || UnknownVersion,
    region: doc?.region ?? '',
    instanceType: doc?.instanceType ?? '',
  };
  if (manifest.manifest?.name) bootIdentity.amiName = manifest.manifest.name;
  if (doc?.accountId) bootIdentity.accountId = doc.accountId;
  if (doc?.availabilityZone) bootIdentity.availabilityZone = doc.availabilityZone;
  if (identity?.asgName) bootIdentity.asg = identity.asgName;

  const wait = await waitForCloudInit(config.root, {
    kernelBootMs: kernel.kernelBootMs,
    deadlineMs: deadlineAt,
    clock: rt.clock,
    sleep: rt.sleep,
  });
  notes.push(...wait.cloudInit.notes);

  const ci = wait.cloudInit;
  if (ci.state === 'not_installed' || ci.state === 'disabled')
    unobserved.push(`cloud-init: ${ci.state.replace('_', ' ')}`);
  else if (ci.state === 'done' && ci.finishedAtMs === null)
    unobserved.push('cloud-init: finished, but no source says when');

  let probes = probesNotRun(config.probes.length);
  let units: string[] | null = null;
  if (ci.state !== 'error' && ci.state !== 'running') {
    const since =
      ci.finishedAtMs !== null
        ? { atMs: ci.finishedAtMs, what: 'cloud-init finished' }
        : { atMs: kernel.pid1StartedMs ?? kernel.kernelBootMs, what: 'userspace started' };
    const observed = await observeProbes(config.probes, {
      root: config.root,
      deadlineMs: deadlineAt,
      clock: rt.clock,
      since,
    });
    probes = observed.probes;
    if (observed.note) notes.push(observed.note);
    const systemd = await failedUnits({ timeoutMs: 5000 });
    if (systemd.available) units = systemd.units.map((u) => u.unit);
    else unobserved.push(`systemd (${systemd.detail}): failed units not checked`);
  }

  const report: BootReport = judgeBoot({
    identity: bootIdentity,
    bootId: kernel.bootId,
    firstBoot,
    pendingTimeMs,
    kernelBootMs: kernel.kernelBootMs,
    pid1StartedMs: kernel.pid1StartedMs,
    cloudInit: observedCloudInit(ci),
    failedUnits: units,
    probes,
    deadlineMs: config.deadline,
    lookedAtMs,
    nowMs: rt.clock.now(),
  });

  const host = await hostFactsP;
  notes.push(...host.notes);
  const extra: Attributes = {};
  for (const [key, value] of Object.entries(host.attributes))
    if (value !== undefined) extra[key] = value;
  if (wait.cloudInit.version) extra[ResourceAttr.cloudInitVersion] = wait.cloudInit.version;
  if (wait.cloudInit.datasource)
    extra[ResourceAttr.cloudInitDatasource] = wait.cloudInit.datasource;
  if (doc?.architecture && extra[ResourceAttr.hostArch] === undefined)
    extra[ResourceAttr.hostArch] = doc.architecture;

  const entry: SpoolEntry = {
    version: 1,
    report,
    resource: bootResourceAttributes(report, extra, BootwatchVersion),
    identity: identity && config.collector.send_identity ? spooledIdentity(identity) : null,
    createdAtMs: rt.clock.now(),
  };
  return { entry, notes, unobserved };
}

export interface AgentRunResult {
  /** What this run did with this boot. */
  action: 'reported' | 'resent' | 'already_reported' | 'left_in_spool' | 'rejected';
  bootId: string;
  report?: BootReport;
  delivery: DeliveryOutcome;
}

/** Reports this boot (and anything earlier left in the spool). */
export async function runAgent(
  config: AgentConfig,
  collectorUrl: string,
  rt: AgentRuntime,
): Promise<AgentRunResult> {
  const kernel = await readKernel(config.root);
  const spool = new Spool(config.spool_dir);
  let action: AgentRunResult['action'] = 'resent';
  let report: BootReport | undefined;
  if (spool.isSent(kernel.bootId)) {
    action = 'already_reported';
  } else if (!spool.hasPending(kernel.bootId) && spool.isRejected(kernel.bootId)) {
    // Refused once: sending the same report again would be refused again (see spool.ts).
    action = 'rejected';
    rt.log(
      `boot ${kernel.bootId}: the collector refused its report earlier; not sent again`,
      'error',
    );
  } else if (!spool.hasPending(kernel.bootId)) {
    const built = await buildReport(config, kernel, rt, (id) => spool.markSeen(id, kernel.bootId));
    for (const note of built.notes) rt.log(note);
    for (const source of built.unobserved) rt.log(`not observed: ${source}`, 'warning');
    spool.put(built.entry);
    report = built.entry.report;
    action = 'reported';
  }
  // The budget: until an hour (configurable) past this boot's deadline, and never less than a minute.
  const launchMs = report ? Date.parse(report.launchedAt) : kernel.kernelBootMs;
  const stopAt = launchMs + config.deadline + config.retry.budget_after_deadline;
  const delivery = await deliverPending(spool, {
    collectorUrl,
    token: config.collector.token ?? null,
    timeoutMs: config.collector.timeout,
    initialBackoffMs: config.retry.initial_backoff,
    maxBackoffMs: config.retry.max_backoff,
    budgetMs: Math.max(60_000, stopAt - rt.clock.now()),
    maxAttempts: config.retry.max_attempts_per_run,
    clock: rt.clock,
    sleep: rt.sleep,
    log: rt.log,
  });
  if (delivery.left.includes(kernel.bootId)) action = 'left_in_spool';
  if (delivery.rejected.includes(kernel.bootId)) action = 'rejected';
  return { action, bootId: kernel.bootId, ...(report ? { report } : {}), delivery };
}
