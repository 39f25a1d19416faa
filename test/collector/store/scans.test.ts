// Image scans in the store, on both engines: a scan is stored under the version the registry gives
// its AMI at that moment, never for an AMI nobody registered; the latest scan of a version is the
// one made last (the later stored on a tie); instances running are counted per version.
import { describe, expect, it } from 'vitest';
import type { ImageRecord } from '../../../collector/model.js';
import type { NewScan } from '../../../collector/scans/image-scan.js';
import { emptyCounts } from '../../../collector/scans/scan-summary.js';
import type { Store } from '../../../collector/store/store.js';
import { describeStores, instanceEvent, T0 } from '../../support/stores.js';

const Ami = 'ami-0abc1234def567890';

function image(over: Partial<ImageRecord> = {}): ImageRecord {
  return {
    amiId: Ami,
    region: 'eu-west-1',
    name: 'web-2.0',
    version: '2.0',
    build: {},
    source: 'registry',
    registeredAtMs: T0,
    ...over,
  };
}

function scan(over: Partial<NewScan> = {}, critical = 0): NewScan {
  const bySeverity = emptyCounts();
  bySeverity.critical = { total: critical, fixable: Math.min(critical, 1) };
  bySeverity.low = { total: 2, fixable: 1 };
  return {
    amiId: Ami,
    scanner: 'trivy',
    scannerVersion: '0.58.1',
    artifactName: `ami:${Ami}`,
    artifactType: 'vm',
    scannedAtMs: T0,
    timeFromReport: true,
    receivedAtMs: T0 + 5_000,
    summary: {
      findings: 3 + critical,
      distinct: 2 + critical,
      bySeverity,
      criticalIds: Array.from({ length: critical }, (_, i) => `CVE-2025-000${i}`),
    },
    ...over,
  };
}

async function versions(store: Store): Promise<[string, number][]> {
  return (await store.scans.latest()).map((s) => [s.amiVersion, s.scanId]);
}

describeStores('image scans', (harness) => {
  it('stores nothing for an AMI nobody registered', async () => {
    const store = await harness().open();
    expect(await store.scans.record(scan())).toBeNull();
    expect(await store.scans.latest()).toEqual([]);
    expect(await harness().sql('SELECT count(*) AS n FROM image_scans')).toEqual([
      { n: harness().engine === 'sqlite' ? 0 : '0' },
    ]);
  });

  it('stores a scan whole, under the version the registry gives its AMI', async () => {
    const store = await harness().open();
    await store.upsertImage(image());
    const stored = await store.scans.record(scan({ scannerVersion: null }, 2));
    expect(stored).toEqual({
      ...scan({ scannerVersion: null }, 2),
      scanId: stored?.scanId,
      amiVersion: '2.0',
    });
    expect(await store.scans.history('2.0', 10)).toEqual([stored]);
    // Re-registered under another version: later scans go there, earlier ones stay.
    await store.upsertImage(image({ version: '2.0.1' }));
    const next = await store.scans.record(scan({ timeFromReport: false }));
    expect(next?.amiVersion).toBe('2.0.1');
    expect(next?.timeFromReport).toBe(false);
    expect((await store.scans.history('2.0', 10)).map((s) => s.scanId)).toEqual([stored?.scanId]);
  });

  it('takes the scan made last as the latest, the later stored on a tie', async () => {
    const store = await harness().open();
    await store.upsertImage(image());
    await store.upsertImage(image({ amiId: 'ami-0abc1234def567891', version: '1.9' }));
    const newest = await store.scans.record(scan({ scannedAtMs: T0 + 60_000 }));
    const older = await store.scans.record(scan({ scannedAtMs: T0 }));
    const other = await store.scans.record(scan({ amiId: 'ami-0abc1234def567891' }));
    expect(await versions(store)).toEqual([
      ['1.9', other?.scanId],
      ['2.0', newest?.scanId],
    ]);
    expect((await store.scans.history('2.0', 10)).map((s) => s.scanId)).toEqual([
      newest?.scanId,
      older?.scanId,
    ]);
    expect((await store.scans.history('2.0', 1)).map((s) => s.scanId)).toEqual([newest?.scanId]);
    const tie = await store.scans.record(scan({ scannedAtMs: T0 + 60_000 }));
    expect(await versions(store)).toEqual([
      ['1.9', other?.scanId],
      ['2.0', tie?.scanId],
    ]);
    expect(await store.scans.history('3.0', 10)).toEqual([]);
  });

  it('counts running instances per version, through the registry', async () => {
    const store = await harness().open();
    await store.upsertImage(image());
    const launched = (n: number, amiId: string) =>
      instanceEvent({ eventId: `ev-${n}`, instanceId: `i-0a1b2c3d4e5f6000${n}`, amiId });
    await store.recordEvents(
      [
        launched(1, Ami),
        launched(2, Ami),
        launched(3, Ami),
        launched(4, 'ami-0fff0000000000000'),
        instanceEvent({
          eventId: 'ev-t3',
          kind: 'terminated',
          instanceId: 'i-0a1b2c3d4e5f60003',
          atMs: T0 + 60_000,
        }),
      ],
      T0,
    );
    expect(await store.scans.runningByVersion()).toEqual([
      { amiVersion: '2.0', running: 2 },
      { amiVersion: 'unknown', running: 1 },
    ]);
  });
});

describe('scan migration', () => {
  it('is version 4 on both engines', async () => {
    const { SqliteMigrations } = await import('../../../collector/store/sqlite-schema.js');
    const { PgMigrations } = await import('../../../collector/store/pg-schema.js');
    for (const list of [SqliteMigrations, PgMigrations]) {
      expect(list.find((m) => m.version === 4)).toMatchObject({ name: 'image scans' });
    }
  });
});
