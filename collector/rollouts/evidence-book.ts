// Each active rollout's evidence (per side: boots that succeeded, failed, and the sorted times to
// ready), loaded once and then kept equal to what is committed by the change feed, so that a
// verdict costs the same at the 10th look as at the 1000th and never re-reads the boots.
//
// Why a feed of its own and not a hook in the SLO engine's refresh: the engine keeps counts per
// group and window, not each boot's exact time to ready, and its book is loaded from rollup rows
// at a feed position of its own; a rollout that starts later needs its boots read in the same
// snapshot as a feed position, which only a read of the feed gives (store/evidence-feed.ts). Both
// readers see the same committed changes, each once, so the verdict counts exactly the boots the
// engine counts in the same minutes: never a partial view, with retractions (a late report
// replacing a `no_report`) taken back on both.
//
// What counts: first boots of the candidate and the baseline version, in the rollout's scope,
// whose outcome came in the minute the rollout started or later (the feed knows minutes).
import { BootwatchError } from '../../shared/errors.js';
import type { EvidenceBoot, EvidenceFeed } from '../store/evidence-feed.js';
import type { RolloutStore } from '../store/rollout-store.js';
import { ttrMs } from '../store/rollup-math.js';
import type { RollupChange } from '../store/store.js';
import { inScope, type Rollout } from './rollout-model.js';
import { SortedSample } from './sorted-sample.js';
import type { SideEvidence } from './verdict-model.js';

const MinuteMs = 60_000;

class Side {
  successes = 0;
  failures = 0;
  readonly ready = new SortedSample();

  apply(outcome: string, ttrSeconds: number, sign: 1 | -1): void {
    if (outcome !== 'success') {
      this.failures += sign;
      return;
    }
    this.successes += sign;
    // Whole milliseconds, as the rollups keep them (ttrMs): `75.123 * 1000` is 75123.00000000001,
    // and times that are whole numbers give the Hodges-Lehmann search the ties that end it early.
    const ms = ttrMs(ttrSeconds);
    if (sign === 1) this.ready.insert(ms);
    else if (!this.ready.remove(ms)) {
      // The feed took back a boot this side never counted: the evidence no longer matches the
      // store. The book reloads everything at its next refresh.
      throw new BootwatchError('BW_INTERNAL', `evidence: no time to ready ${ms} ms to take back`);
    }
  }

  evidence(): SideEvidence {
    return { successes: this.successes, failures: this.failures, readyMs: this.ready.view() };
  }
}

interface Kept {
  rollout: Rollout;
  startMinuteMs: number;
  candidate: Side;
  baseline: Side | null;
}

export interface RolloutSides {
  candidate: SideEvidence;
  baseline: SideEvidence | null;
}

function sideOf(k: Kept, version: string, asg: string, region: string): Side | null {
  if (!inScope(k.rollout.scope, asg, region)) return null;
  if (version === k.rollout.candidate) return k.candidate;
  return version === k.rollout.baseline ? k.baseline : null;
}

function applyChange(k: Kept, c: RollupChange): void {
  if (c.key.minuteMs < k.startMinuteMs) return;
  sideOf(k, c.key.amiVersion, c.key.asg, c.key.region)?.apply(c.key.outcome, c.ttrSeconds, c.sign);
}

function loaded(rollout: Rollout, boots: readonly EvidenceBoot[]): Kept {
  const k: Kept = {
    rollout,
    startMinuteMs: Math.floor(rollout.startedAtMs / MinuteMs) * MinuteMs,
    candidate: new Side(),
    baseline: rollout.baseline === null ? null : new Side(),
  };
  for (const b of boots)
    sideOf(k, b.amiVersion, b.asg, b.region)?.apply(b.outcome, b.ttrSeconds, 1);
  return k;
}

export class EvidenceBook {
  private feed: EvidenceFeed | null = null;
  private readonly kept = new Map<number, Kept>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly store: { rollouts: Pick<RolloutStore, 'evidenceFeed'> }) {}

  /**
   * Brings the evidence of `active` (the rollouts in canary) up to date with every change
   * committed before this call, and forgets the others. Refreshes run one at a time.
   */
  refresh(active: readonly Rollout[]): Promise<void> {
    const next = this.queue.then(() => this.refreshNow(active));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The evidence of a rollout the last refresh kept; undefined for one it did not. */
  sides(id: number): RolloutSides | undefined {
    const k = this.kept.get(id);
    if (k === undefined) return undefined;
    return { candidate: k.candidate.evidence(), baseline: k.baseline?.evidence() ?? null };
  }

  private async refreshNow(active: readonly Rollout[], again = true): Promise<void> {
    const ids = new Set(active.map((r) => r.id));
    for (const id of this.kept.keys()) if (!ids.has(id)) this.kept.delete(id);
    const fresh = active.filter((r) => !this.kept.has(r.id));
    this.feed ??= this.store.rollouts.evidenceFeed();
    const read = await this.feed.read(
      fresh.map((r) => ({
        versions: r.baseline === null ? [r.candidate] : [r.candidate, r.baseline],
        sinceMs: Math.floor(r.startedAtMs / MinuteMs) * MinuteMs,
      })),
    );
    if (read.lost) {
      this.reset();
      if (again) return this.refreshNow(active, false);
      throw new BootwatchError(
        'BW_INTERNAL',
        'evidence: the change feed was pruned twice in a row',
      );
    }
    try {
      // This read's changes are already in the boots loaded with it: only older evidence takes them.
      for (const c of read.changes) for (const k of this.kept.values()) applyChange(k, c);
    } catch (e) {
      this.reset();
      throw e;
    }
    fresh.forEach((r, i) => this.kept.set(r.id, loaded(r, read.boots[i] ?? [])));
  }

  /** Forgets everything: the next refresh reads a new feed and loads every rollout anew. */
  private reset(): void {
    this.feed = null;
    this.kept.clear();
  }
}
