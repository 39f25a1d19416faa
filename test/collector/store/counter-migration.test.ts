// Schema 2 keeps counters as one row per series; a database written by schema 1 (one row per
// Prometheus sample, labels as canonical JSON) is converted when it migrates, so that counters
// continue across the upgrade.
import { expect, it } from 'vitest';
import { PgMigrations } from '../../../collector/store/pg-schema.js';
import { SqliteMigrations } from '../../../collector/store/sqlite-schema.js';
import { CounterFamilies } from '../../../collector/store/counter-families.js';
import { increment, mergeCounterDeltas } from '../../../collector/store/counter-deltas.js';
import { seriesKey } from '../../../collector/store/series-key.js';
import type { CounterDelta } from '../../../collector/store/store.js';
import { bootReport, describeStores, T0, type StoreHarness } from '../../support/stores.js';

/** A database as schema version 1 left it. */
async function schemaOne(h: StoreHarness): Promise<void> {
  const v1 = (h.engine === 'sqlite' ? SqliteMigrations : PgMigrations)[0]!;
  if (h.engine === 'postgres') await h.sql(`CREATE SCHEMA ${h.location}`);
  await h.sql(`CREATE TABLE schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at_ms bigint NOT NULL)`);
  for (const statement of v1.statements) await h.sql(statement);
  await h.sql(`INSERT INTO schema_migrations VALUES (1, 'v1', 0)`);
}

/** A schema 1 counter row: labels as JSON with sorted keys, as schema 1 wrote them. */
async function v1Row(
  h: StoreHarness,
  replica: string,
  name: string,
  labels: Record<string, string>,
  value: number,
): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  const params = h.engine === 'sqlite' ? '?, ?, ?, ?' : '$1, $2, $3, $4';
  await h.sql(`INSERT INTO counters (replica_id, name, labels, value) VALUES (${params})`, [
    replica,
    name,
    JSON.stringify(sorted),
    value,
  ]);
}

const histogram = (
  family: typeof CounterFamilies.timeToReady | typeof CounterFamilies.phase,
  labels: string[],
  counts: Record<number, number>,
  sum: number,
): CounterDelta => ({
  kind: 'histogram',
  family: family.name,
  labels,
  key: seriesKey(labels),
  buckets: Array.from({ length: family.bounds.length + 1 }, (_, i) => counts[i] ?? 0),
  sum,
});

describeStores('store: counters from schema 1', (harness) => {
  it('converts every series, label values and bucket counts intact, replica by replica', async () => {
    const h = harness();
    await schemaOne(h);
    // A version with the key's separator and a backslash in it: escaped like seriesKey does.
    const odd = 'v\u001f2\\x';
    const boot = (version: string) => ({
      ami_id: 'ami-1',
      ami_version: version,
      region: 'us-east-1',
      asg: '',
      instance_type: 'm5.large',
      outcome: 'success',
      reason: 'none',
    });
    const ttr = { ami_version: '1.0', region: 'us-east-1', asg: '', outcome: 'success' };
    await v1Row(h, 'r1', 'bootwatch_boots_total', boot('1.0'), 3);
    await v1Row(h, 'r1', 'bootwatch_boots_total', boot(odd), 1);
    await v1Row(h, 'r1', 'bootwatch_boots_retracted_total', boot('1.0'), 1);
    const { outcome: _o, reason: _r, ...launch } = boot('1.0');
    await v1Row(h, 'r1', 'bootwatch_launches_total', launch, 4);
    await v1Row(h, 'r1', 'bootwatch_time_to_ready_seconds_bucket', { ...ttr, le: '45' }, 2);
    await v1Row(h, 'r1', 'bootwatch_time_to_ready_seconds_bucket', { ...ttr, le: '+Inf' }, 1);
    await v1Row(h, 'r1', 'bootwatch_time_to_ready_seconds_sum', ttr, 2085.5);
    const kernel = { ami_version: '1.0', phase: 'kernel' };
    await v1Row(h, 'r1', 'bootwatch_boot_phase_seconds_bucket', { ...kernel, le: '0.5' }, 1);
    await v1Row(h, 'r1', 'bootwatch_boot_phase_seconds_sum', kernel, 0.25);
    await v1Row(h, 'r2', 'bootwatch_boots_total', boot('1.0'), 7);

    const store = await h.open({ replicaId: 'r1' });
    const values = (labels: Record<string, string>) => Object.values(labels);
    const expected = mergeCounterDeltas([
      increment(CounterFamilies.bootsTotal, values(boot('1.0')), 3),
      increment(CounterFamilies.bootsTotal, values(boot(odd)), 1),
      increment(CounterFamilies.bootsRetracted, values(boot('1.0')), 1),
      increment(CounterFamilies.launches, values(launch), 4),
      histogram(CounterFamilies.timeToReady, values(ttr), { 5: 2, 16: 1 }, 2085.5),
      histogram(CounterFamilies.phase, values(kernel), { 0: 1 }, 0.25),
    ]);
    expect(await store.loadCounters()).toEqual(expected);
    const versions = await h.sql('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions).toEqual([{ version: 1 }, { version: 2 }, { version: 4 }]);

    // The converted rows are the ones later writes add to.
    const { counters } = await store.upsertBoot(
      bootReport({
        amiId: 'ami-1',
        amiVersion: '1.0',
        asg: undefined,
        instanceType: 'm5.large',
        timeToReadySeconds: 44,
      }),
      T0,
    );
    const after = await store.loadCounters();
    expect(after).toEqual(mergeCounterDeltas([...expected, ...counters]));
    const total = after.find(
      (c) =>
        c.family === CounterFamilies.bootsTotal.name && c.key === seriesKey(values(boot('1.0'))),
    );
    expect(total?.kind === 'counter' && total.value).toBe(4);
    const r2 = await h.open({ replicaId: 'r2' });
    expect(await r2.loadCounters()).toEqual([
      increment(CounterFamilies.bootsTotal, values(boot('1.0')), 7),
    ]);
  });
});
