// The fallback when status.json is absent: cloud-init's own log, /var/log/cloud-init.log, in its
// default file format (`%(asctime)s - %(filename)s[%(levelname)s]: %(message)s`):
//
//   2026-04-29 05:34:48,904 - log_util.py[DEBUG]: Cloud-init v. 25.2 running 'init-local' at
//       Wed, 29 Apr 2026 05:34:48 +0000. Up 9.84 seconds.                       <- stage start
//   2026-04-29 05:34:48,954 - handlers.py[DEBUG]: finish: init-local: SUCCESS: searching for ...
//                                                                               <- stage finish
//   2020-01-16 19:15:52,281 - util.py[DEBUG]: cloud-init mode 'init' took 52.078 seconds (52.08)
//                                     <- also a finish (18.x; 24.x+ says "cloud-init stage: 'x' took")
//   2020-01-16 19:15:52,281 - handlers.py[DEBUG]: finish: init-network: FAIL: searching for ...
//                                                                               <- an error
//
// The log is appended to across boots and its timestamps are local time without a zone. Each
// "running ... at <RFC 2822 date>" line gives the zone (the offset between the two, rounded to
// 15 minutes) and the boot it belongs to (its time minus "Up N seconds" is the kernel boot time).
import {
  bareState,
  type CloudInitError,
  type CloudInitStage,
  type CloudInitState,
  type RecoverableError,
} from './cloud-init-status.js';

export interface LogBoot {
  /** Kernel boot time implied by the boot's first stage line (its time minus its uptime). */
  kernelBootMs: number;
  /** 1-based line numbers of the boot's first and last lines in the file. */
  firstLine: number;
  lastLine: number;
  cloudInit: CloudInitState;
}

export interface LogParse {
  /** The boot matching the kernel boot time when one was given, else the last; null if none. */
  boot: LogBoot | null;
  bootCount: number;
  notes: string[];
}

/** A boot in the log matches the running kernel when the implied boot times are this close. */
export const BootMatchToleranceMs = 10_000;

const LineRe = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}),(\d{3}) - \S+?\[([A-Z]+)\]: (.*)$/;
const RunningRe = /^Cloud-init v\. (\S+) running '([^']+)' at (.+?)\. Up ([\d.]+) seconds/;
const FinishedRe = /^Cloud-init v\. (\S+) finished at .+?\. Datasource (.+?)\.\s+Up [\d.]+ seconds/;
const FinishEventRe =
  /^finish: (init-local|init-network|modules-config|modules-final): (\w+): (.*)$/;
const TookRe = /^cloud-init (?:mode|stage:) '[\w:-]+' took /;
const RanRe = /^Ran \d+ modules with (\d+) failures/;
const LoadedRe = /^Loaded datasource (\S+)/;
const FailedStageRe = /^failed (?:run of )?stage /;

const ModeStage: Record<string, CloudInitStage> = {
  'init-local': 'init-local',
  init: 'init',
  'modules:config': 'modules-config',
  'modules:final': 'modules-final',
};
const EventStage: Record<string, CloudInitStage> = {
  'init-local': 'init-local',
  'init-network': 'init',
  'modules-config': 'modules-config',
  'modules-final': 'modules-final',
};
const QuarterHourMs = 15 * 60_000;

interface Building {
  boot: LogBoot;
  offsetMs: number;
  lastUptime: number;
  current: CloudInitStage | null;
  took: Partial<Record<CloudInitStage, number>>;
}

function startBoot(lineNo: number, localMs: number, at: string, uptime: number, file: string) {
  const atMs = Date.parse(at);
  const notes: string[] = [];
  let offsetMs = 0;
  if (Number.isNaN(atMs)) {
    notes.push(`${file}:${lineNo}: cannot read the date "${at}"; log times taken as UTC`);
  } else {
    offsetMs = Math.round((localMs - atMs) / QuarterHourMs) * QuarterHourMs;
  }
  const state = bareState('running', notes, { log: file, timeBase: 'log' });
  const b: Building = {
    boot: { kernelBootMs: 0, firstLine: lineNo, lastLine: lineNo, cloudInit: state },
    offsetMs,
    lastUptime: uptime,
    current: null,
    took: {},
  };
  b.boot.kernelBootMs = Math.round(localMs - offsetMs - uptime * 1000);
  return b;
}

function finishBoot(b: Building): LogBoot {
  const ci = b.boot.cloudInit;
  for (const [stage, ms] of Object.entries(b.took) as [CloudInitStage, number][]) {
    if (ci.stages[stage].startMs !== null && ci.stages[stage].finishMs === null) {
      ci.stages[stage].finishMs = ms;
    }
  }
  const final = ci.stages['modules-final'].finishMs;
  ci.complete = final !== null;
  ci.finishedAtMs = final;
  ci.currentStage = ci.complete
    ? null
    : (([...Object.entries(ci.stages)]
        .reverse()
        .find(([, t]) => t.startMs !== null && t.finishMs === null)?.[0] as CloudInitStage) ??
      null);
  ci.state = ci.errors.length > 0 ? 'error' : ci.complete ? 'done' : 'running';
  ci.degraded = ci.state === 'done' && ci.recoverableErrors.length > 0;
  return b.boot;
}

function addError(ci: CloudInitState, e: CloudInitError): void {
  if (!ci.errors.some((x) => x.stage === e.stage)) ci.errors.push(e);
}

/** Every boot in the log, oldest first. Lines before the first stage line are skipped. */
export function parseLogBoots(text: string, file = '/var/log/cloud-init.log'): LogBoot[] {
  const boots: LogBoot[] = [];
  let b: Building | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = LineRe.exec(lines[i]!.trimEnd());
    if (!m) continue; // traceback continuation lines, blank lines, other formats
    const [, y, mo, d, h, mi, s, ms, level, message] = m as unknown as string[];
    const localMs = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, +ms!);
    const run = RunningRe.exec(message!);
    if (run) {
      const uptime = Number(run[4]);
      if (b === null || run[2] === 'init-local' || uptime < b.lastUptime) {
        if (b) boots.push(finishBoot(b));
        b = startBoot(i + 1, localMs, run[3]!, uptime, file);
      }
      b.lastUptime = uptime;
      b.boot.cloudInit.version = run[1]!;
      const stage = ModeStage[run[2]!];
      // A stage run again later in the same boot (by hand) does not move the boot's times.
      if (stage && b.boot.cloudInit.stages[stage].startMs === null) {
        b.boot.cloudInit.stages[stage].startMs = localMs - b.offsetMs;
        b.current = stage;
      }
    }
    if (b === null) continue;
    b.boot.lastLine = i + 1;
    const ci = b.boot.cloudInit;
    const at = localMs - b.offsetMs;
    const fin = FinishEventRe.exec(message!);
    if (fin) {
      const stage = EventStage[fin[1]!]!;
      if (ci.stages[stage].startMs !== null && ci.stages[stage].finishMs === null) {
        ci.stages[stage].finishMs = at;
      }
      if (fin[2] === 'FAIL') addError(ci, { stage, message: `${fin[1]}: FAIL: ${fin[3]}` });
      continue;
    }
    if (b.current && TookRe.test(message!)) b.took[b.current] ??= at;
    const ran = RanRe.exec(message!);
    if (ran && Number(ran[1]) > 0) addError(ci, { stage: b.current, message: message! });
    const done = FinishedRe.exec(message!);
    if (done) ci.datasource = done[2]!;
    const loaded = LoadedRe.exec(message!);
    if (loaded) ci.datasource = loaded[1]!;
    if (
      level === 'WARNING' ||
      level === 'ERROR' ||
      level === 'CRITICAL' ||
      level === 'DEPRECATED'
    ) {
      if (level !== 'WARNING' && FailedStageRe.test(message!)) {
        addError(ci, { stage: b.current, message: message! });
      } else {
        const r: RecoverableError = { stage: b.current, level: level!, message: message! };
        ci.recoverableErrors.push(r);
      }
    }
  }
  if (b) boots.push(finishBoot(b));
  return boots;
}

/**
 * The boot of interest in a cloud-init.log: the one whose implied kernel boot time is closest to
 * `kernelBootMs` (within BootMatchToleranceMs), or the last one when no kernel boot time is given.
 */
export function parseCloudInitLog(
  text: string,
  options: { kernelBootMs?: number | null; file?: string } = {},
): LogParse {
  const file = options.file ?? '/var/log/cloud-init.log';
  const boots = parseLogBoots(text, file);
  const notes: string[] = [];
  if (boots.length === 0) {
    notes.push(`${file}: no "Cloud-init v. X running '<stage>'" line found`);
    return { boot: null, bootCount: 0, notes };
  }
  const want = options.kernelBootMs;
  if (want === null || want === undefined) {
    return { boot: boots[boots.length - 1]!, bootCount: boots.length, notes };
  }
  const closest = boots.reduce((a, c) =>
    Math.abs(c.kernelBootMs - want) < Math.abs(a.kernelBootMs - want) ? c : a,
  );
  if (Math.abs(closest.kernelBootMs - want) > BootMatchToleranceMs) {
    notes.push(
      `${file}: none of its ${boots.length} boots matches the kernel boot time ` +
        `${new Date(want).toISOString()} (closest: ${new Date(closest.kernelBootMs).toISOString()})`,
    );
    return { boot: null, bootCount: boots.length, notes };
  }
  return { boot: closest, bootCount: boots.length, notes };
}
