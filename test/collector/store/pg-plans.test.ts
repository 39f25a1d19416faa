// bw_write_boots keeps the plans of its statements for the life of a connection (generic plans:
// planning its INSERT cost about as much as running it). A plan made while the tables were empty
// must not scan them whole once they are large: every statement of the function looks rows up
// by key, so it plans with index lookups whatever the tables held. Checked on PostgreSQL's own
// statistics: no sequential scan of boots, launches or rollups after the tables grew.
import { expect, it } from 'vitest';
import type { StoreHarness } from '../../support/stores.js';
import { bootReport, describeStores, instanceEvent, T0 } from '../../support/stores.js';

const Deadline = 15 * 60_000;

interface TableStats {
  seqScans: number;
  inserted: number;
}

async function stats(h: StoreHarness): Promise<Record<string, TableStats>> {
  const rows = await h.sql(
    `SELECT relname, seq_scan, n_tup_ins FROM pg_stat_user_tables
     WHERE schemaname = current_schema() AND relname IN ('boots', 'launches', 'rollups')`,
  );
  return Object.fromEntries(
    rows.map((r) => [
      String(r.relname),
      { seqScans: Number(r.seq_scan), inserted: Number(r.n_tup_ins) },
    ]),
  );
}

/** Statistics once the backends reported the boots inserted so far (they do so when idle). */
async function settledStats(h: StoreHarness, boots: number): Promise<Record<string, TableStats>> {
  for (let i = 0; ; i++) {
    const s = await stats(h);
    if ((s.boots?.inserted ?? 0) >= boots) return s;
    if (i === 150) throw new Error(`statistics never showed ${boots} boots inserted`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function boot(n: number, overrides: Parameters<typeof bootReport>[0] = {}) {
  return bootReport({
    instanceId: `i-plan-${String(n).padStart(6, '0')}`,
    bootId: `b-${n}`,
    ...overrides,
  });
}

describeStores(
  'store: bw_write_boots plans',
  (harness) => {
    it('looks boots up by key after the tables grew from empty', async () => {
      const h = harness();
      const store = await h.open();
      // Plans made on empty tables, on every connection of the pool.
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.upsertBoot(boot(i), T0)));
      await store.recordEvents([instanceEvent({ instanceId: boot(100).instanceId })], T0);
      await store.sweep(T0 + Deadline, Deadline); // a no_report verdict for i-plan-000100
      // The tables grow behind the plans' back.
      await h.sql(
        `INSERT INTO boots SELECT 'i-bulk-' || g, 'b', b.first_boot, b.launched_at, b.launched_at_ms,
           b.kernel_started_at, b.ami_id, b.ami_name, b.ami_version, b.account_id, b.region,
           b.availability_zone, b.instance_type, b.asg, b.outcome, b.reason,
           b.time_to_ready_seconds, b.phases, b.failure_detail, b.source, b.received_at_ms,
           b.outcome_at_ms
         FROM generate_series(1, 20000) g, (SELECT * FROM boots LIMIT 1) b`,
      );
      await h.sql(
        `INSERT INTO launches (instance_id, state, reported)
         SELECT 'i-bulk-' || g, 'terminated', true FROM generate_series(1, 20000) g`,
      );
      const before = await settledStats(h, 20_009);

      // New boots, repeats, a correction, and a late report replacing the verdict.
      await Promise.all([
        ...Array.from({ length: 8 }, (_, i) => store.upsertBoot(boot(i + 10), T0)),
        store.upsertBoot(boot(1), T0),
        store.upsertBoot(boot(2, { timeToReadySeconds: 50 }), T0),
        store.upsertBoot(boot(100), T0 + Deadline),
      ]);
      const after = await settledStats(h, 20_009 + 8 + 1);
      expect(after.boots?.seqScans).toBe(before.boots?.seqScans);
      expect(after.launches?.seqScans).toBe(before.launches?.seqScans);
      expect(after.rollups?.seqScans).toBe(before.rollups?.seqScans);
      expect((await store.getBoots(boot(100).instanceId)).map((b) => b.source)).toEqual(['agent']);
    }, 60_000);
  },
  ['postgres'],
);
