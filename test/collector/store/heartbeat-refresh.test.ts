// Heartbeats at fleet scale: one row per instance, rewritten only when the stored heartbeat is
// at least `heartbeatRefreshMs` old (the collector uses half its heartbeat window). Coverage stays
// right for live agents at every moment, and a stopped agent leaves it within the window.
import { expect, it } from 'vitest';
import type { Heartbeat } from '../../../collector/model.js';
import { PgStore } from '../../../collector/store/pg-store.js';
import { SqliteStore } from '../../../collector/store/sqlite-store.js';
import type { Store } from '../../../collector/store/store.js';
import {
  describeStores,
  instanceEvent,
  PgUrl,
  T0,
  type StoreHarness,
} from '../../support/stores.js';

const Window = 5 * 60_000;
const Refresh = Window / 2;
const Minute = 60_000;

async function openWithRefresh(h: StoreHarness): Promise<Store> {
  await h.open(); // the schema, migrated
  const store =
    h.engine === 'sqlite'
      ? new SqliteStore({ path: h.location, replicaId: 'r1', heartbeatRefreshMs: Refresh })
      : new PgStore({
          connectionString: PgUrl,
          schema: h.location,
          replicaId: 'r1',
          poolSize: 2,
          heartbeatRefreshMs: Refresh,
        });
  await store.migrate();
  return store;
}

function beat(instanceId: string, atMs: number): Heartbeat {
  return { instanceId, amiId: 'ami-1', amiVersion: '1.4.0', region: 'us-east-1', asg: '', atMs };
}

describeStores('store: heartbeats refreshed every half window', (harness) => {
  it('rewrites an instance row only once the stored heartbeat is a refresh old', async () => {
    const h = harness();
    const store = await openWithRefresh(h);
    try {
      const stored = async () =>
        Number((await h.sql('SELECT at_ms FROM heartbeats'))[0]?.at_ms ?? NaN);
      const seen: number[] = [];
      for (const minute of [0, 1, 2, 3, 4, 5, 6]) {
        await store.recordHeartbeats([beat('i-a', T0 + minute * Minute)]);
        seen.push((await stored()) - T0);
      }
      // 2.5 minutes: the heartbeats of minutes 3 and 6 rewrite it, the others write nothing.
      expect(seen.map((ms) => ms / Minute)).toEqual([0, 0, 0, 3, 3, 3, 6]);
      // An older heartbeat (delivered late) never moves it back.
      await store.recordHeartbeats([beat('i-a', T0)]);
      expect(await stored()).toBe(T0 + 6 * Minute);
    } finally {
      await store.close();
    }
  });

  it('counts a live agent at every moment, and a stopped one no longer after the window', async () => {
    const h = harness();
    const store = await openWithRefresh(h);
    try {
      await store.recordEvents([instanceEvent({ instanceId: 'i-a' })], T0);
      // A heartbeat every minute, with up to 20 s of delivery delay, for half an hour.
      for (let minute = 0; minute <= 30; minute++) {
        const at = T0 + minute * Minute + ((minute * 7_919) % 20_000);
        await store.recordHeartbeats([beat('i-a', at)]);
        for (const now of [at, at + 59_000]) {
          expect(await store.coverage(now - Window)).toEqual({ running: 1, heartbeating: 1 });
        }
      }
      // It stopped after its heartbeat of minute 30: gone by the window, whatever was stored.
      const last = T0 + 30 * Minute + ((30 * 7_919) % 20_000);
      expect((await store.coverage(last + Window + 1 - Window)).heartbeating).toBe(0);
      expect((await store.coverage(last + Window - Refresh - Window)).heartbeating).toBe(1);
    } finally {
      await store.close();
    }
  });
});
