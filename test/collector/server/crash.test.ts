// kill -9 while ingesting: every boot the collector acknowledged with a 200 is there after a
// restart on the same file, and /metrics agrees with the stored boots (counters are written in the
// boot's transaction). SIGTERM: the process drains and exits 0 by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollectorProcess, type CollectorProcess } from '../../support/collector-process.js';
import { AdminToken, AgentToken, adminAuth, agentAuth, otlpJson, testBoot } from './harness.js';

type Child = CollectorProcess;

const startChild = (storePath: string): Promise<Child> =>
  startCollectorProcess({
    BOOTWATCH_LISTEN: '127.0.0.1:0',
    BOOTWATCH_STORE: storePath,
    BOOTWATCH_REPLICA_ID: 'crash-replica',
    BOOTWATCH_TOKEN: AgentToken,
    BOOTWATCH_ADMIN_TOKEN: AdminToken,
  });

const post = (url: string, instanceId: string) =>
  fetch(`${url}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...agentAuth },
    body: otlpJson([testBoot({ instanceId })]),
  });

describe('the collector process', () => {
  let dir: string;
  const children: Child[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-crash-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
      await c.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged boot through kill -9', async () => {
    const storePath = join(dir, 'bootwatch.db');
    const first = await startChild(storePath);
    children.push(first);
    const total = 400;
    const killAfter = 60;
    const acked: string[] = [];
    let next = 0;
    // Eight agents at a time; the kill lands while requests are in flight.
    const agent = async () => {
      while (next < total) {
        const id = `i-${String(next++).padStart(17, '0')}`;
        try {
          const res = await post(first.url, id);
          if (res.status === 200) acked.push(id);
          if (acked.length === killAfter) first.process.kill('SIGKILL');
        } catch {
          // connection refused or reset after the kill: not acknowledged, the agent would retry
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, agent));
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(killAfter);
    expect(acked.length).toBeLessThan(total);

    const second = await startChild(storePath);
    children.push(second);
    const stored = new Set<string>();
    let cursor: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await fetch(`${second.url}/api/v1/boots?limit=1000${q}`, { headers: adminAuth });
      const body = (await res.json()) as {
        boots: { instanceId: string }[];
        nextCursor: string | null;
      };
      body.boots.forEach((b) => stored.add(b.instanceId));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    const counted = metrics
      .split('\n')
      .filter((l) => l.startsWith('bootwatch_boots_total{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(counted).toBe(stored.size);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    const c = await startChild(join(dir, 'bootwatch.db'));
    children.push(c);
    expect((await post(c.url, 'i-0000000000000001')).status).toBe(200);
    c.process.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });
  });
});
