// Group commit: writes submitted while the store is busy, or in the same turn of the event loop,
// share one transaction. A commit (SQLite: a WAL append; PostgreSQL: BEGIN, COMMIT and a
// round trip per statement) then costs once per batch instead of once per write. Each submitter
// still hears only once its own write is committed, and a batch that fails is retried one write
// per transaction, so that one bad write fails alone: nothing else half-written, nothing lost.
//
// Ordering: writes with the same key (an instance id) never share a batch and never run in two
// batches at once; they commit in the order they were submitted. Writes without a key (a
// request's heartbeats or events, which the write merges whatever their order) only batch.

export interface GroupCommitOptions<T, R> {
  /** At most this many writes in one transaction. */
  maxBatch: number;
  /** Transactions in flight at once (SQLite: 1; PostgreSQL: a share of the pool). */
  concurrency: number;
  /**
   * Turns of the event loop a batch may wait for more writes while they keep arriving (0: it
   * starts at the first turn). A busy collector decodes a few requests a turn; a commit costs the
   * same for one write or many, so waiting while the queue grows makes fewer, larger batches.
   */
  lingerTurns?: number;
  /** The key that orders writes; none: any writes may share a batch or run at once. */
  keyOf?: (item: T) => string;
  /** Writes the items in one transaction, all or none; the results in item order. */
  write(items: T[]): Promise<R[]>;
}

interface Pending<T, R> {
  item: T;
  key: string | null;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private readonly busy = new Set<string>();
  private running = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: GroupCommitOptions<T, R>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, key: this.o.keyOf?.(item) ?? null, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or being written. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // setImmediate, not a microtask: the requests whose bodies arrived in this turn of the event
  // loop all submit before the batch is taken.
  private schedule(): void {
    if (this.scheduled || this.running >= this.o.concurrency) return;
    this.scheduled = true;
    const linger = this.o.lingerTurns ?? 0;
    const turn = (n: number, queued: number) => {
      // Still growing, and room for more: one more turn.
      if (n < linger && this.queue.length > queued && this.queue.length < this.o.maxBatch) {
        const now = this.queue.length;
        setImmediate(() => turn(n + 1, now));
        return;
      }
      this.scheduled = false;
      this.drain();
    };
    const queued = this.queue.length;
    setImmediate(() => turn(0, linger > 0 ? queued - 1 : queued));
  }

  private drain(): void {
    while (this.running < this.o.concurrency && this.queue.length > 0) {
      const batch = this.take();
      if (batch.length === 0) break; // everything queued waits for a key being written
      this.running += 1;
      for (const p of batch) if (p.key !== null) this.busy.add(p.key);
      void this.run(batch).finally(() => {
        this.running -= 1;
        for (const p of batch) if (p.key !== null) this.busy.delete(p.key);
        if (this.queue.length > 0) {
          if ((this.o.lingerTurns ?? 0) > 0) this.schedule();
          else this.drain();
        } else if (this.running === 0) this.notifyIdle();
      });
    }
  }

  /** The next batch: queued writes in order, skipping a key in flight or already taken. */
  private take(): Pending<T, R>[] {
    const batch: Pending<T, R>[] = [];
    const rest: Pending<T, R>[] = [];
    const seen = new Set<string>();
    for (const p of this.queue) {
      const free = p.key === null || (!this.busy.has(p.key) && !seen.has(p.key));
      if (p.key !== null) seen.add(p.key);
      if (free && batch.length < this.o.maxBatch) batch.push(p);
      else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private async run(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.o.write(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i] as R));
      return;
    } catch (e) {
      if (batch.length === 1) {
        batch[0]?.reject(e);
        return;
      }
    }
    for (const p of batch) {
      try {
        const [result] = await this.o.write([p.item]);
        p.resolve(result as R);
      } catch (e) {
        p.reject(e);
      }
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }
}
