// Readiness probes: every configured probe is tried at its interval until it passes, all of them
// in parallel and all under the boot deadline. The boot is ready at the moment the last probe first
// passed, i.e. the first moment all of them were passing (DESIGN.md: ready_at).
//
// Nothing here may hang the boot: each attempt is bounded by its timeout and by the deadline (abort
// signals reach the socket, request or child process), every wait ends at the deadline, and the
// number of attempts is capped by (deadline - start) / interval + 1 even if the clock stands still.
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import { errorMessage } from '../shared/errors.js';
import type { ProbeConfig } from './config-schema.js';
import { checkProbe, type CheckContext, type UnitActive } from './probe-checks.js';

export type { UnitActive } from './probe-checks.js';

/** Waits `ms`, or less when `signal` aborts; resolves either way. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface RunProbesOptions {
  /** The boot deadline, epoch milliseconds. */
  deadlineMs: number;
  clock: Clock;
  sleep?: Sleep;
  /** Prefix for file probes (BOOTWATCH_ROOT); default '/'. */
  root?: string;
  /** Needed by systemd probes; without it they fail and say why. */
  unitActive?: UnitActive;
}

export interface ProbeResult {
  name: string;
  passed: boolean;
  /** Epoch milliseconds; null when the probe never passed. */
  firstPassedAt: number | null;
  attempts: number;
  /** The last failed attempt's error, kept even when a later attempt passed; null if none failed. */
  lastError: string | null;
}

export interface ProbesOutcome {
  allPassed: boolean;
  /** When the last probe first passed (all were passing); null unless allPassed. */
  readyAt: number | null;
  results: ProbeResult[];
}

export const realSleep: Sleep = (ms, signal) =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/** setTimeout fires at once for delays past 2^31 - 1 ms. */
const MaxTimerMs = 2_147_483_647;

export async function runProbes(
  probes: readonly ProbeConfig[],
  options: RunProbesOptions,
): Promise<ProbesOutcome> {
  const { deadlineMs, clock } = options;
  if (probes.length === 0) return { allPassed: true, readyAt: clock.now(), results: [] };

  // The real-time backstop: whatever a probe or an injected function does, the run ends here.
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error('boot deadline')),
    Math.min(Math.max(0, deadlineMs - clock.now()), MaxTimerMs),
  );
  const run: RunContext = {
    deadlineMs,
    clock,
    sleep: options.sleep ?? realSleep,
    check: { root: options.root ?? '/', unitActive: options.unitActive },
    signal: deadline.signal,
  };
  try {
    const results = await Promise.all(probes.map((probe) => runProbe(probe, run)));
    const allPassed = results.every((r) => r.passed);
    const readyAt = allPassed ? Math.max(...results.map((r) => r.firstPassedAt ?? Infinity)) : null;
    return { allPassed, readyAt, results };
  } finally {
    clearTimeout(timer);
  }
}

interface RunContext {
  deadlineMs: number;
  clock: Clock;
  sleep: Sleep;
  check: CheckContext;
  signal: AbortSignal;
}

async function runProbe(probe: ProbeConfig, run: RunContext): Promise<ProbeResult> {
  const result: ProbeResult = {
    name: probe.name,
    passed: false,
    firstPassedAt: null,
    attempts: 0,
    lastError: null,
  };
  const interval = Math.max(1, probe.interval);
  const maxAttempts = Math.floor(Math.max(0, run.deadlineMs - run.clock.now()) / interval) + 1;
  while (result.attempts < maxAttempts && !run.signal.aborted) {
    const start = run.clock.now();
    const left = run.deadlineMs - start;
    if (left <= 0) break;
    result.attempts += 1;
    const failure = await attemptOnce(probe, run, Math.min(probe.timeout, left));
    if (failure === null) {
      result.passed = true;
      result.firstPassedAt = run.clock.now();
      return result;
    }
    // "The deadline passed" says less than the error of the attempt before: keep that one.
    if (!failure.byDeadline || result.lastError === null) result.lastError = failure.error;
    // Attempts start one interval apart; the wait never runs past the deadline.
    const wait = Math.min(start + interval, run.deadlineMs) - run.clock.now();
    if (wait > 0)
      await untilAborted(run.sleep(wait, run.signal), run.signal).catch(() => undefined);
  }
  if (result.attempts === 0) result.lastError = 'the deadline had passed before the first attempt';
  return result;
}

/** One attempt under its own timeout and the deadline: null when it passed, else what failed. */
async function attemptOnce(
  probe: ProbeConfig,
  run: RunContext,
  attemptMs: number,
): Promise<{ error: string; byDeadline: boolean } | null> {
  // A plain controller and timer rather than AbortSignal.any(AbortSignal.timeout()): the timer is
  // cleared after every attempt and nothing depends on how signals are garbage-collected.
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(new Error('attempt timeout')), attemptMs);
  const onDeadline = () => attempt.abort(run.signal.reason);
  run.signal.addEventListener('abort', onDeadline, { once: true });
  try {
    await untilAborted(checkProbe(probe, run.check, attempt.signal), attempt.signal);
    return null;
  } catch (e) {
    if (!attempt.signal.aborted) return { error: errorMessage(e), byDeadline: false };
    // An attempt whose timeout was shortened to fit before the deadline ended at the deadline.
    const byDeadline = run.signal.aborted || attemptMs < probe.timeout;
    const error = byDeadline
      ? 'the deadline passed before the attempt finished'
      : `no answer within ${formatDuration(attemptMs)}`;
    return { error, byDeadline };
  } finally {
    clearTimeout(timer);
    run.signal.removeEventListener('abort', onDeadline);
  }
}

/** `work`, or a rejection as soon as `signal` aborts, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** For the boot record's failure detail: the probes that had not passed, and why. */
export function probeFailureDetail(outcome: ProbesOutcome, maxLength = 1024): string | null {
  const failed = outcome.results.filter((r) => !r.passed);
  if (failed.length === 0) return null;
  const text = failed
    .map((r) => {
      const attempts = `${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`;
      return `probe ${r.name} did not pass in ${attempts} (last error: ${r.lastError})`;
    })
    .join('; ');
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 3)}...`;
}
