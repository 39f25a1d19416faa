// Reads cloud-init's state under BOOTWATCH_ROOT, from the best source the installed version offers,
// and waits for it to settle. Never throws for a missing or garbled file: each becomes a note and
// the next source is tried.
//
// Order, and why:
//  1. /run/cloud-init/status.json (+ result.json): /run is a tmpfs, so what is there is this boot's.
//  2. /etc/cloud/cloud-init.disabled, /run/cloud-init/disabled (the generator's marker), or
//     cloud-init=disabled on the kernel command line: disabled. Checked after (1) because a user
//     may disable cloud-init during the very boot it ran in.
//  3. /var/lib/cloud/data/status.json (+ result.json): survives reboots, so it counts only when it
//     was written during this boot (mtime at or after the kernel boot time).
//  4. /var/log/cloud-init.log: the boot matching the kernel boot time, or the last one.
//  5. /usr/bin/cloud-init (or /usr/local/bin) exists: installed, not started yet: running.
//  6. Otherwise not_installed.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import { parseCloudInitLog } from './cloud-init-log.js';
import {
  bareState,
  parseResultJson,
  parseStatusJson,
  stateFromStatus,
  type CloudInitState,
  type ParsedResult,
} from './cloud-init-status.js';
import { rootPath } from './root-path.js';

export const CloudInitPaths = {
  runDir: '/run/cloud-init',
  dataDir: '/var/lib/cloud/data',
  log: '/var/log/cloud-init.log',
  disabledFile: '/etc/cloud/cloud-init.disabled',
  generatorDisabled: '/run/cloud-init/disabled',
  cmdline: '/proc/cmdline',
  binaries: ['/usr/bin/cloud-init', '/usr/local/bin/cloud-init'],
} as const;

/** The log is read from its end, at most this much: enough for several boots of a busy image. */
const LogTailBytes = 4 * 1024 * 1024;

export interface ReadCloudInitOptions {
  /** btime in epoch ms: converts seconds-since-boot times and picks this boot in the log. */
  kernelBootMs?: number | null;
}

type Read = { text: string; mtimeMs: number } | { missing: true } | { error: string };

async function readText(path: string, tailBytes = Infinity): Promise<Read> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    const length = Math.min(st.size, tailBytes);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, st.size - length);
    return { text: buf.subarray(0, bytesRead).toString('utf8'), mtimeMs: st.mtimeMs };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { error: errorMessage(e) };
  } finally {
    await fh?.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** status.json and result.json of one directory; null when status.json is missing or garbled. */
async function fromStatusDir(
  root: string,
  dir: string,
  options: ReadCloudInitOptions,
  notes: string[],
  freshAfterMs: number | null,
): Promise<CloudInitState | null> {
  const statusPath = `${dir}/status.json`;
  const resultPath = `${dir}/result.json`;
  const status = await readText(rootPath(root, statusPath));
  if ('missing' in status) return null;
  if ('error' in status) {
    notes.push(`${statusPath}: cannot be read (${status.error})`);
    return null;
  }
  if (freshAfterMs !== null && status.mtimeMs < freshAfterMs) {
    notes.push(`${statusPath}: written before this boot, ignored`);
    return null;
  }
  let parsedStatus;
  try {
    parsedStatus = parseStatusJson(status.text, {
      kernelBootMs: options.kernelBootMs,
      file: statusPath,
    });
  } catch (e) {
    notes.push(errorMessage(e));
    return null;
  }
  let result: ParsedResult | null = null;
  const resultRead = await readText(rootPath(root, resultPath));
  if ('text' in resultRead) {
    if (freshAfterMs !== null && resultRead.mtimeMs < freshAfterMs) {
      notes.push(`${resultPath}: written before this boot, ignored`);
    } else {
      try {
        result = parseResultJson(resultRead.text, resultPath);
      } catch (e) {
        notes.push(errorMessage(e));
      }
    }
  } else if ('error' in resultRead) {
    notes.push(`${resultPath}: cannot be read (${resultRead.error})`);
  }
  const state = stateFromStatus(parsedStatus, result, {
    status: statusPath,
    result: result ? resultPath : null,
    log: null,
  });
  state.notes.unshift(...notes);
  return state;
}

async function disabledBy(root: string): Promise<string | null> {
  for (const marker of [CloudInitPaths.disabledFile, CloudInitPaths.generatorDisabled]) {
    if (await exists(rootPath(root, marker))) return marker;
  }
  const cmdline = await readText(rootPath(root, CloudInitPaths.cmdline));
  if ('text' in cmdline && /(^|\s)cloud-init=disabled(\s|$)/.test(cmdline.text)) {
    return `${CloudInitPaths.cmdline} (cloud-init=disabled)`;
  }
  return null;
}

/** The version named in the log's last "Cloud-init v. X" line, for a state read from status.json. */
async function versionFromLog(root: string): Promise<string | null> {
  const log = await readText(rootPath(root, CloudInitPaths.log), 64 * 1024);
  if (!('text' in log)) return null;
  const all = [...log.text.matchAll(/Cloud-init v\. (\S+) (?:running|finished)/g)];
  return all.length > 0 ? all[all.length - 1]![1]! : null;
}

/** cloud-init's state for this boot, from the best source available. Never throws. */
export async function readCloudInit(
  root: string,
  options: ReadCloudInitOptions = {},
): Promise<CloudInitState> {
  const notes: string[] = [];
  const terminal = async (s: CloudInitState): Promise<CloudInitState> => {
    if (s.version === null && (s.state === 'done' || s.state === 'error')) {
      s.version = await versionFromLog(root);
    }
    return s;
  };

  const fromRun = await fromStatusDir(root, CloudInitPaths.runDir, options, notes, null);
  if (fromRun) return terminal(fromRun);

  const disabled = await disabledBy(root);
  if (disabled) return bareState('disabled', [...notes, `disabled by ${disabled}`]);

  // A little slack below btime: the kernel truncates btime to whole seconds.
  const freshAfter =
    options.kernelBootMs === null || options.kernelBootMs === undefined
      ? null
      : options.kernelBootMs - 1000;
  const fromData = await fromStatusDir(root, CloudInitPaths.dataDir, options, notes, freshAfter);
  if (fromData) return terminal(fromData);

  const log = await readText(rootPath(root, CloudInitPaths.log), LogTailBytes);
  if ('text' in log) {
    const parsed = parseCloudInitLog(log.text, {
      kernelBootMs: options.kernelBootMs,
      file: CloudInitPaths.log,
    });
    notes.push(...parsed.notes);
    if (parsed.boot) {
      const s = parsed.boot.cloudInit;
      s.notes.unshift(...notes);
      return s;
    }
  } else if ('error' in log) {
    notes.push(`${CloudInitPaths.log}: cannot be read (${log.error})`);
  }

  for (const bin of CloudInitPaths.binaries) {
    if (await exists(rootPath(root, bin))) {
      return bareState('running', [...notes, `${bin} is installed; no status for this boot yet`]);
    }
  }
  return bareState('not_installed', [...notes, 'no cloud-init status, log or binary found']);
}

export interface WaitForCloudInitOptions extends ReadCloudInitOptions {
  /** Give up at this moment (epoch ms, on `clock`). */
  deadlineMs: number;
  /** Time between reads. Default 1000 ms. */
  pollMs?: number;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
}

export interface CloudInitWait {
  cloudInit: CloudInitState;
  /** The deadline passed while cloud-init was still running. */
  timedOut: boolean;
  /** Clock time of the read that returned the final state. */
  observedAtMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads until cloud-init is done, in error, disabled or not installed, or the deadline passes.
 * The loop is bounded by the number of polls that fit before the deadline, so a clock that does not
 * move (a test double) cannot make it spin forever.
 */
export async function waitForCloudInit(
  root: string,
  options: WaitForCloudInitOptions,
): Promise<CloudInitWait> {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = Math.max(1, options.pollMs ?? 1000);
  const maxPolls = Math.max(1, Math.ceil((options.deadlineMs - clock.now()) / pollMs) + 1);
  let state = await readCloudInit(root, options);
  let observedAtMs = clock.now();
  for (let poll = 1; poll < maxPolls && state.state === 'running'; poll++) {
    const left = options.deadlineMs - clock.now();
    if (left <= 0) break;
    await sleep(Math.min(pollMs, left));
    state = await readCloudInit(root, options);
    observedAtMs = clock.now();
  }
  return { cloudInit: state, timedOut: state.state === 'running', observedAtMs };
}
