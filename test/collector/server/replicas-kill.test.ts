// Two collector processes on one PostgreSQL, under load from both sides, one of them killed with
// SIGKILL mid-load and started again:
// - every boot acknowledged with a 200, by either replica, is stored, once;
// - the sweepers of both replicas, each sweeping every second (the shortest sweep_interval) while launches cross their report
//   deadline, take the sweep lock one at a time (sampled from pg_locks: both held it, never
//   together) and decide each launch once;
// - each replica's counters carry on after the restart (they are persisted per replica id), and
//   both replicas' counters add up to the boots stored;
// - after one SLO evaluation interval, both replicas report the same SLO counts: the boots stored.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import type { SloReport } from '../../../collector/slo/report.js';
import { PromMetric } from '../../../shared/conventions.js';
import { startCollectorProcess, type CollectorProcess } from '../../support/collector-process.js';
import { describeStores, type StoreHarness } from '../../support/stores.js';
import { AdminToken, AgentToken, adminAuth, agentAuth, otlpJson, testBoot } from './harness.js';

const Launches = 300;
const DeadlineMs = 60_000;

interface Replica {
  name: string;
  app: string;
  child: CollectorProcess;
}

async function start(h: StoreHarness, name: string, app: string): Promise<Replica> {
  const child = await startCollectorProcess({
    BOOTWATCH_LISTEN: '127.0.0.1:0',
    BOOTWATCH_STORE: `${h.url}&application_name=${app}`,
    BOOTWATCH_REPLICA_ID: name,
    BOOTWATCH_TOKEN: AgentToken,
    BOOTWATCH_ADMIN_TOKEN: AdminToken,
    BOOTWATCH_SLO_INTERVAL: '1s',
    BOOTWATCH_SWEEP_INTERVAL: '1s',
    BOOTWATCH_REPORT_DEADLINE: '1m',
  });
  return { name, app, child };
}

/** Launch events whose report deadline passes one after the other over the next seconds. */
function launchEvents(now: number): object[] {
  return Array.from({ length: Launches }, (_, i) => ({
    version: '0',
    id: `launch-${i}`,
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: new Date(now - DeadlineMs + 500 + i * 10).toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail: { 'instance-id': `i-silent${String(i).padStart(9, '0')}`, state: 'pending' },
  }));
}

/** The sum of a counter family on a replica's /metrics. */
async function counted(url: string, family: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${family}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

async function slos(url: string): Promise<SloReport> {
  const res = await fetch(`${url}/api/v1/slos`, { headers: adminAuth });
  expect(res.status).toBe(200);
  return (await res.json()) as SloReport;
}

/** Events per SLO and group in the longest window, by label set. */
function sloCounts(r: SloReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const slo of r.slos) {
    for (const g of slo.groups) {
      const longest = g.windows.at(-1);
      out[`${slo.name} ${JSON.stringify(g.labels)}`] = longest?.events ?? 0;
    }
  }
  return out;
}

describeStores(
  'collector replicas on one PostgreSQL',
  (harness) => {
    it('keeps every acknowledged boot once, one sweeper at a time, through a SIGKILL', async () => {
      const h = harness();
      await h.open(); // the schema, migrated
      const tag = randomBytes(3).toString('hex');
      const replicas = {
        a: await start(h, 'replica-a', `bw-a-${tag}`),
        b: await start(h, 'replica-b', `bw-b-${tag}`),
      };
      const monitor = new pg.Client({ connectionString: h.url });
      await monitor.connect();
      try {
        // Who holds the sweep lock (advisory, key 2 of the schema's namespace), sampled.
        const holders: string[][] = [];
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const r = await monitor.query<{ app: string }>(
              `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a USING (pid)
               WHERE l.locktype = 'advisory' AND l.granted AND l.objid = 2 AND l.objsubid = 2
                 AND a.application_name IN ($1, $2)`,
              [replicas.a.app, replicas.b.app],
            );
            holders.push(r.rows.map((x) => x.app));
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        })();

        const now = Date.now();
        const events = await fetch(`${replicas.a.child.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${AdminToken}` },
          body: JSON.stringify(launchEvents(now)),
        });
        expect(events.status).toBe(200);

        // Load: eight agents on each replica, every request a new boot.
        const acked = new Set<string>();
        let next = 0;
        let loading = true;
        const agent = (side: 'a' | 'b') => async () => {
          while (loading) {
            const instanceId = `i-${side}${String(next++).padStart(15, '0')}`;
            try {
              const res = await fetch(`${replicas[side].child.url}/v1/metrics`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', ...agentAuth },
                body: otlpJson([
                  testBoot({
                    instanceId,
                    bootId: `boot-${instanceId}`,
                    launchedAt: new Date(now - 5 * 60_000).toISOString(),
                  }),
                ]),
              });
              if (res.status === 200) acked.add(instanceId);
            } catch {
              // refused or reset while B is down: not acknowledged; an agent would retry
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          }
        };
        const load = Promise.all([
          ...Array.from({ length: 8 }, agent('a')),
          ...Array.from({ length: 8 }, agent('b')),
        ]);

        await new Promise((resolve) => setTimeout(resolve, 2000));
        const beforeKill = await counted(replicas.b.child.url, PromMetric.bootsTotal);
        replicas.b.child.process.kill('SIGKILL');
        expect((await replicas.b.child.exited).signal).toBe('SIGKILL');
        replicas.b = await start(h, 'replica-b', replicas.b.app);
        // Counters carry on from what B committed, not from zero.
        expect(await counted(replicas.b.child.url, PromMetric.bootsTotal)).toBeGreaterThanOrEqual(
          beforeKill,
        );
        await new Promise((resolve) => setTimeout(resolve, 2000));
        loading = false;
        await load;

        // Every launch past its deadline, decided by one sweeper or the other.
        for (let i = 0; ; i++) {
          const [row] = await h.sql(`SELECT count(*)::int AS n FROM boots WHERE boot_id = ''`);
          if (row?.n === Launches) break;
          expect(i).toBeLessThan(200);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        sampling = false;
        await sampler;

        // Acknowledged boots: all stored, each once (and nothing of a boot twice anywhere).
        const stored = await h.sql(
          `SELECT instance_id FROM boots WHERE boot_id <> '' GROUP BY instance_id
           HAVING count(*) = 1`,
        );
        const storedIds = new Set(stored.map((r) => String(r.instance_id)));
        expect(acked.size).toBeGreaterThan(100);
        expect([...acked].filter((id) => !storedIds.has(id))).toEqual([]);
        const [boots] = await h.sql(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE boot_id = '')::int AS verdicts
           FROM boots WHERE first_boot`,
        );
        const [rolled] = await h.sql(`SELECT sum(count)::int AS n FROM rollups`);
        expect(rolled?.n).toBe(boots?.n);

        // The sweep lock: never two holders; both replicas held it at some point.
        expect(holders.every((hs) => hs.length <= 1)).toBe(true);
        expect(new Set(holders.flat())).toEqual(new Set([replicas.a.app, replicas.b.app]));

        // Counters: both replicas together count every boot stored, each launch decided once.
        const urls = [replicas.a.child.url, replicas.b.child.url];
        let total = 0;
        let noReport = 0;
        for (const url of urls) {
          total += await counted(url, PromMetric.bootsTotal);
          total -= await counted(url, PromMetric.bootsRetractedTotal);
          const text = await (await fetch(`${url}/metrics`)).text();
          noReport += text
            .split('\n')
            .filter((l) => l.startsWith(`${PromMetric.bootsTotal}{`) && l.includes('no_report'))
            .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
        }
        expect(total).toBe(boots?.n);
        expect(noReport).toBe(Launches);
        expect(boots?.verdicts).toBe(Launches);

        // SLOs: after an evaluation interval that started once everything was written, both
        // replicas count the same, and what they count is what is stored.
        const settled = Date.now();
        const reports: SloReport[] = [];
        for (const url of urls) {
          for (let i = 0; ; i++) {
            const r = await slos(url);
            if (r.evaluatedAtMs > settled) {
              reports.push(r);
              break;
            }
            expect(i).toBeLessThan(100);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        const [onA, onB] = reports.map(sloCounts);
        expect(onB).toEqual(onA);
        const bootSuccess = Object.entries(onA ?? {})
          .filter(([k]) => k.startsWith('boot-success '))
          .reduce((sum, [, v]) => sum + v, 0);
        expect(bootSuccess).toBe(boots?.n);
      } finally {
        await monitor.end();
        for (const r of Object.values(replicas)) {
          if (r.child.process.exitCode === null && r.child.process.signalCode === null) {
            r.child.process.kill('SIGKILL');
          }
          await r.child.exited;
        }
      }
    }, 90_000);
  },
  ['postgres'],
);
