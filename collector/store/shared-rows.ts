// The rows that the boots of one transaction share: rollup rows, counter series and the images
// agents teach us. Gathered while each boot's own rows are written, applied once at the end, each
// row once however many boots of the batch move it. Pure: the engines apply what it returns, in
// the sorted orders it returns them (PostgreSQL writers then lock shared rows alike).
import { UnknownFact } from '../../shared/conventions.js';
import type { StoredBoot } from '../model.js';
import type { BootWritePlan } from './boot-plan.js';
import { cmp, CounterSums } from './counter-deltas.js';
import { mergeRollupDeltas, type RollupChange, type RollupDelta } from './rollup-math.js';
import type { CounterDelta } from './store.js';

export class SharedRows {
  private readonly rollupDeltas: RollupDelta[] = [];
  private readonly rollupChanges: RollupChange[] = [];
  private readonly counterSums = new CounterSums();
  private readonly images = new Map<string, StoredBoot>();

  add(plan: Pick<BootWritePlan, 'boot' | 'rollups' | 'changes' | 'counters'>): void {
    for (const r of plan.rollups) this.rollupDeltas.push(r);
    for (const c of plan.changes) this.rollupChanges.push(c);
    for (const c of plan.counters) this.counterSums.add(c);
    const { boot } = plan;
    // What agents say about an AMI's version; never for an AMI or a version 'unknown' (a report
    // sent without IMDS says nothing about which AMI it booted). The first boot of the batch wins,
    // as it would writing one boot at a time (the insert does nothing for a known AMI).
    const known = (v: string) => v !== '' && v !== UnknownFact;
    if (boot.source === 'agent' && known(boot.amiId) && known(boot.amiVersion)) {
      if (!this.images.has(boot.amiId)) this.images.set(boot.amiId, boot);
    }
  }

  addCounters(deltas: readonly CounterDelta[]): void {
    for (const c of deltas) this.counterSums.add(c);
  }

  rollups(): RollupDelta[] {
    return mergeRollupDeltas(this.rollupDeltas);
  }

  /** Every boot's rollup changes, in write order: the change feed's rows. */
  changes(): readonly RollupChange[] {
    return this.rollupChanges;
  }

  counters(): CounterDelta[] {
    return this.counterSums.merged();
  }

  /** The region an image learned from `boot` is registered in: null when not known. */
  static learnedRegion(boot: StoredBoot): string | null {
    return boot.region === '' || boot.region === UnknownFact ? null : boot.region;
  }

  /** One boot per AMI id to learn the version of, by AMI id. */
  learned(): StoredBoot[] {
    return [...this.images.values()].sort((a, b) => cmp(a.amiId, b.amiId));
  }
}
