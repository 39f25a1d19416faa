// The PostgreSQL store's change feed reader (store.ts, RollupFeed), safe across replicas.
//
// Sequence values are handed out when a row is inserted, not when its transaction commits: a
// transaction holding seq 10 can commit after a reader has seen seq 11, and a reader that asks
// for "seq > last" then loses row 10 for ever. So each row carries the id of the transaction
// that wrote it (txid), and each read runs in a REPEATABLE READ transaction whose snapshot says
// which transactions were still running: every transaction with an id below the snapshot's xmin
// has ended, and any transaction that starts later gets a higher id. Rows with a txid below xmin
// can therefore never appear any more; rows at or above it still can.
//
// A read asks for every visible row with txid >= the watermark (the previous read's xmin). Rows
// below the new xmin are final: returned unless already returned. Rows at or above it are
// returned too (so a change counts at the first read that can see it, not once every older
// transaction has ended) and remembered by seq, so that the next reads, which see them again,
// skip them. The watermark then moves to the new xmin, and what is remembered below it is
// forgotten.
//
// Worked example: transactions 100 (seq 10) and 101 (seq 11); 101 commits first. Read 1 sees
// xmin 100 (100 still runs) and row 11: returns it, remembers 11. 100 commits. Read 2 (xmin 102)
// asks for txid >= 100, sees rows 10 and 11: returns 10, skips 11, forgets both. Each row once.
//
// The cost: a read fetches again the rows of transactions at or above xmin, which an
// open long transaction (anywhere in the cluster) holds back; that is bounded by what was
// written meanwhile, and nothing is lost. The rollup rows of the ranges asked for are read in the
// same snapshot.
import type pg from 'pg';
import type { RollupRow } from '../model.js';
import { Sql } from './pg-sql.js';
import { run } from './pg-tx.js';
import { ChangeColumns, ms, rowToRollup, valuesToChange, type Row } from './rows.js';
import type { FeedRead, RollupChange, RollupFeed, RollupQuery } from './store.js';

export class PgFeed implements RollupFeed {
  /** The previous read's xmin: rows below it have all been returned; null before the first read. */
  private watermark: bigint | null = null;
  /** Rows returned with a txid at or above the watermark, by seq: their txid. */
  private seen = new Map<number, bigint>();

  constructor(private readonly pool: pg.Pool) {}

  async read(ranges: readonly RollupQuery[]): Promise<FeedRead> {
    return (await this.readWith(ranges, async () => null)).read;
  }

  /**
   * A read, and `alongside` run in the same REPEATABLE READ transaction (the same snapshot): what
   * it reads is exactly what the changes of this read and the earlier ones add up to.
   */
  async readWith<T>(
    ranges: readonly RollupQuery[],
    alongside: (client: pg.PoolClient) => Promise<T>,
  ): Promise<{ read: FeedRead; also: T }> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const read = await this.readIn(client, ranges);
      const also = await alongside(client);
      await client.query('COMMIT');
      return { read, also };
    } catch (e) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw e;
    } finally {
      client.release(broken);
    }
  }

  private async readIn(client: pg.PoolClient, ranges: readonly RollupQuery[]): Promise<FeedRead> {
    const [snapshot] = await run(client, Sql.feedSnapshot);
    const xmin = BigInt(String(snapshot?.snap).split(':')[0] ?? '0');
    const pruned = BigInt(String(snapshot?.pruned ?? '0'));
    const first = this.watermark === null;
    // A pruned row at or above the watermark may not have been read.
    if (!first && pruned >= this.watermark!) return { lost: true };
    const raw = await run(client, Sql.changesFrom, [String(this.watermark ?? xmin)]);
    const changes: RollupChange[] = [];
    const seen = new Map<number, bigint>();
    for (const row of raw) {
      const seq = Number(row.seq);
      const txid = BigInt(String(row.txid));
      if (txid >= xmin) seen.set(seq, txid);
      // The first read's rollups already hold every visible change: it only takes note of them.
      if (first || this.seen.has(seq)) continue;
      changes.push(valuesToChange(ChangeColumns.map((c) => (row as Row)[c])));
    }
    this.seen = seen;
    this.watermark = xmin;
    const rows: RollupRow[] =
      ranges.length === 0
        ? []
        : (
            await run(client, Sql.rollupsIn, [
              ranges.map((r) => ms(r.fromMs)),
              ranges.map((r) => ms(r.toMs)),
            ])
          ).map(rowToRollup);
    return { lost: false, rows, changes };
  }
}
