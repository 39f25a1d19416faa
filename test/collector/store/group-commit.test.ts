import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../collector/store/group-commit.js';

interface Item {
  key: string;
  n: number;
}

/** A write that records its batches and finishes when the test says so (or at once). */
function recorder(options: { hold?: boolean; bad?: (item: Item) => boolean } = {}) {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const write = async (items: Item[]): Promise<string[]> => {
    batches.push(items.map((i) => i.n));
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (options.hold) await new Promise<void>((resolve) => releases.push(resolve));
    inFlight -= 1;
    if (items.some((i) => options.bad?.(i))) throw new Error(`bad batch ${items.map((i) => i.n)}`);
    return items.map((i) => `done ${i.n}`);
  };
  return {
    batches,
    write,
    release: () => releases.splice(0).forEach((r) => r()),
    maxInFlight: () => maxInFlight,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function commit(
  r: ReturnType<typeof recorder>,
  o: { maxBatch?: number; concurrency?: number } = {},
): GroupCommit<Item, string> {
  return new GroupCommit<Item, string>({
    maxBatch: o.maxBatch ?? 100,
    concurrency: o.concurrency ?? 1,
    keyOf: (i) => i.key,
    write: r.write,
  });
}

describe('GroupCommit', () => {
  it('writes what is submitted in one turn as one batch, answering each submitter', async () => {
    const r = recorder();
    const g = commit(r);
    const results = await Promise.all([1, 2, 3].map((n) => g.submit({ key: `k${n}`, n })));
    expect(results).toEqual(['done 1', 'done 2', 'done 3']);
    expect(r.batches).toEqual([[1, 2, 3]]);
  });

  it('takes at most maxBatch writes per batch', async () => {
    const r = recorder();
    const g = commit(r, { maxBatch: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => g.submit({ key: `k${n}`, n })));
    expect(r.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('keeps writes of one key apart and in submission order', async () => {
    const r = recorder();
    const g = commit(r);
    const keys = ['a', 'b', 'a', 'c', 'a', 'b'];
    await Promise.all(keys.map((key, n) => g.submit({ key, n })));
    expect(r.batches).toEqual([[0, 1, 3], [2, 5], [4]]);
  });

  it('runs at most `concurrency` batches, and what arrives meanwhile shares the next', async () => {
    const r = recorder({ hold: true });
    const g = commit(r, { concurrency: 2 });
    const first = [g.submit({ key: 'a', n: 1 })];
    await tick();
    const second = [g.submit({ key: 'b', n: 2 })];
    await tick();
    const rest = [3, 4, 5].map((n) => g.submit({ key: `k${n}`, n }));
    await tick();
    expect(r.batches).toEqual([[1], [2]]);
    for (let i = 0; i < 5 && r.batches.length < 3; i++) {
      r.release();
      await tick();
    }
    r.release();
    await Promise.all([...first, ...second, ...rest]);
    expect(r.batches).toEqual([[1], [2], [3, 4, 5]]);
    expect(r.maxInFlight()).toBe(2);
  });

  it('retries a failed batch one write at a time: only the bad write fails', async () => {
    const r = recorder({ bad: (i) => i.n === 2 });
    const g = commit(r);
    const results = await Promise.allSettled([1, 2, 3].map((n) => g.submit({ key: `k${n}`, n })));
    expect(results.map((x) => (x.status === 'fulfilled' ? x.value : 'failed'))).toEqual([
      'done 1',
      'failed',
      'done 3',
    ]);
    expect(r.batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('is idle once every submitted write is answered', async () => {
    const r = recorder({ hold: true });
    const g = commit(r);
    await g.idle();
    let answered = false;
    void g.submit({ key: 'a', n: 1 }).then(() => (answered = true));
    const idle = g.idle();
    await tick();
    r.release();
    await idle;
    expect(answered).toBe(true);
  });

  it('lingers while writes keep arriving, at most lingerTurns turns, then writes', async () => {
    const r = recorder();
    const g = new GroupCommit<Item, string>({
      maxBatch: 100,
      concurrency: 1,
      lingerTurns: 2,
      keyOf: (i) => i.key,
      write: r.write,
    });
    const answers: Promise<string>[] = [];
    for (let turn = 0; turn < 8; turn++) {
      answers.push(g.submit({ key: `k${turn}`, n: turn }));
      await tick();
    }
    await Promise.all(answers);
    expect(r.batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // One write a turn: without lingering the first batch would be [0] alone.
    expect(r.batches[0]!.length).toBeGreaterThan(1);
    expect(r.batches[0]!.length).toBeLessThanOrEqual(3);
  });

  it('lingers no longer than the turn in which nothing more arrived', async () => {
    const r = recorder();
    const g = new GroupCommit<Item, string>({
      maxBatch: 100,
      concurrency: 1,
      lingerTurns: 50,
      keyOf: (i) => i.key,
      write: r.write,
    });
    let answered = false;
    void g.submit({ key: 'k', n: 1 }).then(() => (answered = true));
    for (let turn = 0; turn < 4 && !answered; turn++) await tick();
    expect(answered).toBe(true);
  });
});
