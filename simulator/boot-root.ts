// A fake machine for the agent (the fleet simulator's instances, and the agent's tests through
// test/support/boot-root.ts): a temporary BOOTWATCH_ROOT holding /proc (uptime, stat with btime,
// boot_id, 1/stat, cmdline), cloud-init's status.json and result.json, and optionally
// /etc/bootwatch/image.json and /var/log/cloud-init.log. Every time is derived from one "now", so a
// test knows exactly what the agent should read back (the returned BootRoot says it).
//
// Defaults: launched 60 s ago, kernel 20 s after launch, PID 1 1.5 s after the kernel, cloud-init
// init-local 5-6 s, init 7-13 s, modules-config 14-16 s, modules-final 17-20 s after the kernel
// (so done 20 s ago), epoch timestamps, the 23.4+ shape with recoverable_errors, DataSourceEc2.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudInitStages,
  type CloudInitStage,
  type StageTimes,
} from '../agent/cloud-init-status.js';

export interface StageSpan {
  /** Seconds after the kernel boot time. */
  start: number;
  /** Seconds the stage ran. */
  duration: number;
}

export interface BootRootCloudInit {
  /**
   * done (default); error (done, with `errors`, default one in init); running (`runningStage` started
   * and not finished, later stages not started, no result.json); not_started (only the binary);
   * disabled (/etc/cloud/cloud-init.disabled and the binary); not_installed (nothing at all).
   */
  state?: 'done' | 'error' | 'running' | 'not_started' | 'disabled' | 'not_installed';
  /** The stage running when state is 'running'. Default modules-final. */
  runningStage?: CloudInitStage;
  /** epoch: seconds since 1970 (cloud-init up to 24.1); since_boot: seconds since boot (24.2+). */
  timeStyle?: 'epoch' | 'since_boot';
  /** modern: 23.4+ with per-stage recoverable_errors; legacy: 19.x with modules-init and without. */
  shape?: 'modern' | 'legacy';
  datasource?: string;
  /** Override stage spans; null leaves a stage out (it did not run). */
  stages?: Partial<Record<CloudInitStage, StageSpan | null>>;
  errors?: { stage: CloudInitStage; message: string }[];
  recoverableErrors?: { stage: CloudInitStage; level: string; message: string }[];
  /** Where status.json and result.json go. Default run (/run/cloud-init). */
  location?: 'run' | 'var-lib';
  /** Give the files an mtime before the kernel boot, as a previous boot would have left them. */
  fromPreviousBoot?: boolean;
  /** Contents for /var/log/cloud-init.log. */
  log?: string;
}

export interface BootRootOptions {
  /** "Now" on the fake machine (epoch ms). Default Date.now(). */
  nowMs?: number;
  launchedAgoSeconds?: number;
  kernelAfterLaunchSeconds?: number;
  pid1AfterKernelSeconds?: number;
  bootId?: string;
  /** Clock ticks per second used to write /proc/1/stat. Default 100. */
  clkTck?: number;
  /** PID 1's command name in /proc/1/stat (may hold spaces and parentheses). Default systemd. */
  pid1Comm?: string;
  /** Extra kernel command line words for /proc/cmdline. */
  cmdline?: string;
  cloudInit?: BootRootCloudInit;
  /** /etc/bootwatch/image.json: an object (written as JSON) or raw text; absent by default. */
  image?: Record<string, unknown> | string;
}

export interface BootRoot {
  root: string;
  bootId: string;
  launchedAtMs: number;
  /** btime * 1000: whole seconds, as the kernel gives it. */
  kernelBootMs: number;
  pid1StartedMs: number;
  uptimeSeconds: number;
  /** Stage times (epoch ms) as the agent should read them back. */
  stages: Record<CloudInitStage, StageTimes>;
  /** modules-final's finish when cloud-init is done (or in error with all stages run); else null. */
  cloudInitFinishedAtMs: number | null;
  /** Rewrites cloud-init's files (status.json, result.json, markers) to move the boot along. */
  setCloudInit(cloudInit: BootRootCloudInit): Promise<void>;
  /** Writes a file at an absolute path inside the root. */
  writeFile(absPath: string, content: string): Promise<void>;
  cleanup(): Promise<void>;
}

export const DefaultStageSpans: Record<CloudInitStage, StageSpan> = {
  'init-local': { start: 5, duration: 1 },
  init: { start: 7, duration: 6 },
  'modules-config': { start: 14, duration: 2 },
  'modules-final': { start: 17, duration: 3 },
};

async function put(root: string, absPath: string, content: string): Promise<string> {
  const file = path.join(root, absPath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

function procStat(btime: number): string {
  return [
    'cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0',
    'cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0',
    'intr 199292428 0 9 0 0 0 0 3 0 1 0 0 0 0 0 0 0',
    'ctxt 3216123848',
    `btime ${btime}`,
    'processes 1028331',
    'procs_running 1',
    'procs_blocked 0',
    '',
  ].join('\n');
}

function pid1Stat(comm: string, startTicks: number): string {
  // Fields 3..52 of /proc/<pid>/stat; field 22 (index 19 here) is starttime.
  const rest = Array.from({ length: 50 }, () => '0');
  rest[0] = 'S';
  rest[19] = String(startTicks);
  return `1 (${comm}) ${rest.join(' ')}\n`;
}

interface Plan {
  spans: Record<CloudInitStage, StageSpan | null>;
  running: CloudInitStage | null;
}

function plan(ci: BootRootCloudInit): Plan {
  const spans = { ...DefaultStageSpans, ...ci.stages } as Record<CloudInitStage, StageSpan | null>;
  if (ci.state !== 'running') return { spans, running: null };
  const running = ci.runningStage ?? 'modules-final';
  const after = CloudInitStages.slice(CloudInitStages.indexOf(running) + 1);
  for (const s of after) spans[s] = null;
  return { spans, running };
}

function expectedStages(p: Plan, kernelBootMs: number): Record<CloudInitStage, StageTimes> {
  return Object.fromEntries(
    CloudInitStages.map((s) => {
      const span = p.spans[s];
      if (!span) return [s, { startMs: null, finishMs: null }];
      const startMs = kernelBootMs + Math.round(span.start * 1000);
      const finishMs =
        s === p.running ? null : kernelBootMs + Math.round((span.start + span.duration) * 1000);
      return [s, { startMs, finishMs }];
    }),
  ) as Record<CloudInitStage, StageTimes>;
}

function statusJson(ci: BootRootCloudInit, p: Plan, kernelBootMs: number): object {
  const base = ci.timeStyle === 'since_boot' ? 0 : kernelBootMs / 1000;
  const errors = ci.errors ?? (ci.state === 'error' ? [{ stage: 'init', message: 'boom' }] : []);
  const v1: Record<string, unknown> = { datasource: ci.datasource ?? 'DataSourceEc2' };
  for (const s of CloudInitStages) {
    const span = p.spans[s];
    const entry: Record<string, unknown> = {
      errors: errors.filter((e) => e.stage === s).map((e) => e.message),
      finished: span && s !== p.running ? base + span.start + span.duration : null,
      start: span ? base + span.start : null,
    };
    if (ci.shape !== 'legacy') {
      const rec: Record<string, string[]> = {};
      for (const r of ci.recoverableErrors ?? []) {
        if (r.stage === s) (rec[r.level] ??= []).push(r.message);
      }
      entry.recoverable_errors = rec;
    }
    v1[s] = entry;
  }
  if (ci.shape === 'legacy') v1['modules-init'] = { errors: [], finished: null, start: null };
  v1.stage = p.running;
  return { v1 };
}

async function writeCloudInit(root: string, ci: BootRootCloudInit, kernelBootMs: number) {
  if (ci.shape === 'legacy' && (ci.recoverableErrors?.length ?? 0) > 0) {
    throw new Error('makeBootRoot: the legacy status.json shape has no recoverable_errors');
  }
  const owned = [
    'run/cloud-init',
    'var/lib/cloud/data',
    'etc/cloud/cloud-init.disabled',
    'usr/bin/cloud-init',
    'var/log/cloud-init.log',
  ];
  for (const rel of owned) {
    await rm(path.join(root, rel), { recursive: true, force: true });
  }
  const state = ci.state ?? 'done';
  if (state !== 'not_installed') await put(root, '/usr/bin/cloud-init', '#!/usr/bin/python3\n');
  if (state === 'disabled') await put(root, '/etc/cloud/cloud-init.disabled', '');
  if (ci.log !== undefined) await put(root, '/var/log/cloud-init.log', ci.log);
  if (state === 'not_installed' || state === 'not_started' || state === 'disabled') return;
  const p = plan(ci);
  const dir = ci.location === 'var-lib' ? '/var/lib/cloud/data' : '/run/cloud-init';
  const doc = statusJson(ci, p, kernelBootMs) as { v1: Record<string, { errors?: string[] }> };
  const files = [await put(root, `${dir}/status.json`, JSON.stringify(doc, null, 1))];
  if (p.running === null) {
    const errors = CloudInitStages.flatMap((s) => doc.v1[s]?.errors ?? []);
    const result = { v1: { datasource: doc.v1.datasource, errors } };
    files.push(await put(root, `${dir}/result.json`, JSON.stringify(result, null, 1)));
  }
  if (ci.fromPreviousBoot) {
    const before = new Date(kernelBootMs - 3600_000);
    for (const f of files) await utimes(f, before, before);
  }
}

/** Creates the fake machine; call cleanup() in teardown. */
export async function makeBootRoot(options: BootRootOptions = {}): Promise<BootRoot> {
  const nowMs = options.nowMs ?? Date.now();
  const launchedAtMs = nowMs - Math.round((options.launchedAgoSeconds ?? 60) * 1000);
  const btime = Math.floor(
    (launchedAtMs + Math.round((options.kernelAfterLaunchSeconds ?? 20) * 1000)) / 1000,
  );
  const kernelBootMs = btime * 1000;
  const clkTck = options.clkTck ?? 100;
  const startTicks = Math.round((options.pid1AfterKernelSeconds ?? 1.5) * clkTck);
  const uptimeSeconds = Math.max(0, Math.round((nowMs - kernelBootMs) / 10) / 100);
  const bootId = options.bootId ?? randomUUID();
  const root = await mkdtemp(path.join(tmpdir(), 'bootwatch-root-'));

  await put(
    root,
    '/proc/uptime',
    `${uptimeSeconds.toFixed(2)} ${(uptimeSeconds * 1.9).toFixed(2)}\n`,
  );
  await put(root, '/proc/stat', procStat(btime));
  await put(root, '/proc/sys/kernel/random/boot_id', `${bootId}\n`);
  await put(root, '/proc/1/stat', pid1Stat(options.pid1Comm ?? 'systemd', startTicks));
  await put(
    root,
    '/proc/cmdline',
    `BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz root=UUID=0b5e7a31 ro console=ttyS0 ${options.cmdline ?? ''}`.trim() +
      '\n',
  );
  if (options.image !== undefined) {
    const text =
      typeof options.image === 'string' ? options.image : JSON.stringify(options.image, null, 2);
    await put(root, '/etc/bootwatch/image.json', text);
  }

  const result: BootRoot = {
    root,
    bootId,
    launchedAtMs,
    kernelBootMs,
    pid1StartedMs: kernelBootMs + Math.round((startTicks * 1000) / clkTck),
    uptimeSeconds,
    stages: expectedStages(plan({}), kernelBootMs),
    cloudInitFinishedAtMs: null,
    async setCloudInit(ci) {
      await writeCloudInit(root, ci, kernelBootMs);
      const state = ci.state ?? 'done';
      const ran = state === 'done' || state === 'error' || state === 'running';
      const p = plan(ci);
      result.stages = ran
        ? expectedStages(p, kernelBootMs)
        : expectedStages(plan({ stages: none }), 0);
      result.cloudInitFinishedAtMs =
        ran && p.running === null ? result.stages['modules-final'].finishMs : null;
    },
    writeFile: async (absPath, content) => {
      await put(root, absPath, content);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  await result.setCloudInit(options.cloudInit ?? {});
  return result;
}

const none: Record<CloudInitStage, null> = {
  'init-local': null,
  init: null,
  'modules-config': null,
  'modules-final': null,
};
