// The collector's side of detected rollouts: reads the launches of the last three switch-back
// windows from the store, runs the pure detector (detect.ts) over them and records what it finds
// as rollouts with source 'detected': a new one as a canary (or at once finished, when it already
// is), a canary whose switch back came or whose window passed as rolled back or promoted. Run by
// the sweeper's loop every sweep_interval.
//
// Why three windows: a switch at time t is judged against the rollout that began within one
// window before it, and that rollout's baseline against the launches before its start. So only
// rollouts that started at least one window after the oldest launch read are acted on (the
// horizon); with three windows read, a rollout stays past the horizon for one window after its
// own window ended, time for the loop to record how it ended.
//
// Matching with what is stored: the detector has no memory between runs; a stored detected
// rollout is the same one when its group, candidate and baseline are the same and it started
// within one window of the detected start (a late launch event can move the start earlier).
// A finished rollout never changes again (the store refuses): a launch that arrives after a
// rollout was judged does not reopen it.
//
// Rollouts a pipeline started through the API win: a group is the pipeline's from the start of
// its API rollout until one switch-back window after it finished, so that a canary that launches
// both versions side by side in one group (each launch a switch, to the detector) is not also
// recorded as a string of detected rollouts and rollbacks. And the store refuses a detected
// rollout whose scope overlaps an active one, or that is already recorded, finished or not
// (BW_ROLLOUT_CONFLICT; checked in the create's transaction): two replicas that detect the
// same rollout at once record it once, even one that is already over when they first see it.
import type { Clock } from '../../shared/clock.js';
import { isBootwatchError } from '../../shared/errors.js';
import type { Store } from '../store/store.js';
import { detectRollouts, type DetectedRollout } from './detect.js';
import { sameDetectedRollout, scopesOverlap, type Rollout } from './rollout-model.js';

/** How many switch-back windows of launches each run reads (see above). */
export const DetectionWindows = 3;

export interface DetectionLog {
  info(obj: object, msg: string): void;
}

export interface RolloutDetectionOptions {
  store: Pick<Store, 'launchSightings' | 'rollouts'>;
  clock: Clock;
  switchBackWindowMs: number;
  log: DetectionLog;
}

export interface DetectionResult {
  /** Rollouts stored by this run (already finished ones included). */
  started: Rollout[];
  /** Rollouts this run finished (stored before, or just now). */
  finished: Rollout[];
}

/** One run: detects and records; throws only what the store throws (the loop logs it). */
export async function detectAndRecord(o: RolloutDetectionOptions): Promise<DetectionResult> {
  const nowMs = o.clock.now();
  const window = o.switchBackWindowMs;
  const fromMs = nowMs - DetectionWindows * window;
  const horizonMs = fromMs + window;
  const sightings = await o.store.launchSightings(fromMs);
  const detected = detectRollouts(sightings, { switchBackWindowMs: window, nowMs }).filter(
    (d) => d.startedAtMs >= horizonMs,
  );
  const result: DetectionResult = { started: [], finished: [] };
  if (detected.length === 0) return result;
  const all = await o.store.rollouts.list();
  const stored = all.filter((r) => r.source === 'detected');
  const api = all.filter((r) => r.source === 'api');
  for (const d of detected) {
    if (api.some((r) => pipelineOwns(r, d, window))) continue;
    const seen = { ...d, scope: { asgs: [d.asg], regions: [d.region] } };
    let rollout = stored.find((r) => sameDetectedRollout(r, seen, window)) ?? null;
    if (rollout === null) {
      rollout = await refusedAsNull(
        o.store.rollouts.create({
          candidate: d.candidate,
          baseline: d.baseline,
          scope: { asgs: [d.asg], regions: [d.region] },
          startedAtMs: d.startedAtMs,
          policy: {},
          source: 'detected',
          sameAsWithinMs: window,
        }),
      );
      if (rollout === null) continue;
      stored.push(rollout);
      result.started.push(rollout);
      o.log.info(
        { rollout: rollout.id, candidate: d.candidate, baseline: d.baseline, asg: d.asg },
        'detected a rollout from launches',
      );
    }
    if (rollout.state !== 'canary' || d.state === 'canary') continue;
    const finished = await refusedAsNull(
      o.store.rollouts.finish(rollout.id, d.state, d.finishedAtMs ?? nowMs, d.note),
    );
    if (finished === null) continue;
    stored[stored.indexOf(rollout)] = finished;
    result.finished.push(finished);
    o.log.info(
      { rollout: finished.id, state: finished.state, note: d.note },
      'detected rollout finished',
    );
  }
  return result;
}

/** Whether API rollout `r` covers the group of `d` when `d` started (see above). */
function pipelineOwns(r: Rollout, d: DetectedRollout, windowMs: number): boolean {
  return (
    scopesOverlap(r.scope, { asgs: [d.asg], regions: [d.region] }) &&
    r.startedAtMs <= d.startedAtMs &&
    d.startedAtMs < (r.finishedAtMs ?? Infinity) + windowMs
  );
}

/** A write the store refused because of another rollout (an API canary, another replica): null. */
async function refusedAsNull(write: Promise<Rollout>): Promise<Rollout | null> {
  try {
    return await write;
  } catch (e) {
    if (isBootwatchError(e, 'BW_ROLLOUT_CONFLICT')) return null;
    throw e;
  }
}

/**
 * Asks for the verdict of every active detected rollout (storing it, as any look does), so that
 * the verdict gauge and its page cover rollouts no pipeline polls. Returns the verdicts by id.
 */
export async function lookAtDetected(
  store: Pick<Store, 'rollouts'>,
  judge: { verdict(id: number): Promise<{ verdict: string }> },
): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const r of await store.rollouts.list('canary')) {
    if (r.source === 'detected') out.set(r.id, (await judge.verdict(r.id)).verdict);
  }
  return out;
}
