// A boot's timeline for the debug view: its phases in boot order, each with where it starts
// (seconds after launch) and how long it took. The boot record keeps durations only; phases follow
// one another (launch -> kernel -> PID 1 -> cloud-init stages -> probes), so a phase starts where
// the phases before it end. What the phases do not cover (waits between cloud-init stages, a probe
// that started late) is `unaccountedSeconds`, shown rather than spread over the phases.
//
// Example: provisioning 20 s, kernel 2 s, cloud_init_init 8 s, time to ready 35 s ->
// provisioning 0+20, kernel 20+2, cloud_init_init 22+8, unaccounted 5.
import type { BootReport } from '../../shared/boot-report.js';
import { Phases, type Phase } from '../../shared/conventions.js';

export interface TimelinePhase {
  phase: Phase;
  startSeconds: number;
  durationSeconds: number;
}

export interface Timeline {
  phases: TimelinePhase[];
  timeToReadySeconds: number;
  unaccountedSeconds: number;
}

export function bootTimeline(boot: Pick<BootReport, 'phases' | 'timeToReadySeconds'>): Timeline {
  const phases: TimelinePhase[] = [];
  let at = 0;
  for (const phase of Phases) {
    const duration = boot.phases[phase];
    if (duration === undefined) continue;
    phases.push({ phase, startSeconds: round(at), durationSeconds: duration });
    at += duration;
  }
  return {
    phases,
    timeToReadySeconds: boot.timeToReadySeconds,
    unaccountedSeconds: round(Math.max(0, boot.timeToReadySeconds - at)),
  };
}

/** Millisecond precision: sums of float seconds otherwise print as 21.999999999999996. */
function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
