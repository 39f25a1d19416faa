// Two collector processes on one PostgreSQL: a boot ingested through A is counted by B's SLO
// engine at B's first evaluation that starts after A acknowledged it (B evaluates every second
// here; 30 s by default), whatever B had read before, and both replicas report the same counts.
import { expect, it } from 'vitest';
import type { SloReport } from '../../../collector/slo/report.js';
import { startCollectorProcess, type CollectorProcess } from '../../support/collector-process.js';
import { describeStores } from '../../support/stores.js';
import {
  AdminToken,
  AgentToken,
  adminAuth,
  agentAuth,
  otlpJson,
  testBoot,
} from '../server/harness.js';

const startReplica = (store: string, name: string): Promise<CollectorProcess> =>
  startCollectorProcess({
    BOOTWATCH_LISTEN: '127.0.0.1:0',
    BOOTWATCH_STORE: store,
    BOOTWATCH_REPLICA_ID: name,
    BOOTWATCH_TOKEN: AgentToken,
    BOOTWATCH_ADMIN_TOKEN: AdminToken,
    BOOTWATCH_SLO_INTERVAL: '1s',
  });

async function report(url: string): Promise<SloReport> {
  const res = await fetch(`${url}/api/v1/slos`, { headers: adminAuth });
  expect(res.status).toBe(200);
  return (await res.json()) as SloReport;
}

function events(r: SloReport, version: string): number {
  const g = r.slos[0]!.groups.find((x) => x.labels.ami_version === version);
  return g?.windows.find((w) => w.window === '30d')?.events ?? 0;
}

describeStores(
  'SLO counts across replicas',
  (harness) => {
    it("counts a boot ingested through A at B's first evaluation after it", async () => {
      const h = harness();
      await h.open(); // the schema, migrated; the replicas use it through the URL's search_path
      const children: CollectorProcess[] = [];
      try {
        const [a, b] = await Promise.all([
          startReplica(h.url, 'replica-a'),
          startReplica(h.url, 'replica-b'),
        ]);
        children.push(a!, b!);
        const launchedAt = new Date(Date.now() - 5 * 60_000).toISOString();
        expect(events(await report(b!.url), 'feed-1')).toBe(0);
        for (let i = 0; i < 3; i += 1) {
          const res = await fetch(`${a!.url}/v1/metrics`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...agentAuth },
            body: otlpJson([
              testBoot({
                instanceId: `i-00000000000feed${i}`,
                bootId: `feed-boot-${i}`,
                amiVersion: 'feed-1',
                launchedAt,
              }),
            ]),
          });
          expect(res.status).toBe(200);
          const acknowledged = Date.now();
          // Every report B evaluated after A's answer counts the boot; one comes within the
          // interval (here a second; the deadline only bounds the test on a busy machine).
          for (const deadline = acknowledged + 20_000; ;) {
            const r = await report(b!.url);
            if (r.evaluatedAtMs > acknowledged) {
              expect(events(r, 'feed-1')).toBe(i + 1);
              break;
            }
            expect(Date.now()).toBeLessThan(deadline);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        // Both replicas agree.
        expect(events(await report(a!.url), 'feed-1')).toBe(3);
      } finally {
        for (const c of children) c.process.kill('SIGKILL');
      }
    }, 60_000);
  },
  ['postgres'],
);
