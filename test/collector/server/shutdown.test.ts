// SIGTERM after the SQLite checkpoint worker has started (it starts at the 128th commit): the
// built collector drains, logs "collector stopped" and exits 0, every time. Before the fix, the
// worker was unref'd, close() waited for it to exit, the event loop emptied first and Node ended
// the process with 13 (an unsettled top-level await) in most runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitsPerCheckpoint } from '../../../collector/store/sqlite-checkpointer.js';
import { killIfRunning, startBuiltCollector, type CollectorProcess } from './built-collector.js';
import { AdminToken, AgentToken, agentAuth, otlpJson, testBoot } from './harness.js';

const Runs = 20;
const AtOnce = 2;

describe('the built collector on SIGTERM', () => {
  let dir = '';
  const started: CollectorProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-shutdown-'));
  });
  afterAll(async () => {
    await Promise.all(started.map(killIfRunning));
    rmSync(dir, { recursive: true, force: true });
  });

  /** One run: a fresh store, enough separate commits to start the checkpointer, SIGTERM. */
  async function run(n: number): Promise<{ code: number | string; stopped: boolean }> {
    const p = startBuiltCollector({
      BOOTWATCH_LISTEN: '127.0.0.1:0',
      BOOTWATCH_STORE: join(dir, `run-${n}`, 'bootwatch.db'),
      BOOTWATCH_TOKEN: AgentToken,
      BOOTWATCH_ADMIN_TOKEN: AdminToken,
    });
    started.push(p);
    const url = await p.listening(60_000);
    // One request at a time: each is a commit of its own (concurrent ones would share one).
    for (let i = 0; i <= CommitsPerCheckpoint; i += 1) {
      const res = await fetch(`${url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...agentAuth },
        body: otlpJson([testBoot({ instanceId: `i-${String(i).padStart(17, '0')}` })]),
      });
      expect(res.status).toBe(200);
    }
    p.child.kill('SIGTERM');
    const code = await p.exited;
    return { code, stopped: p.output().includes('collector stopped') };
  }

  it(`exits 0 and logs "collector stopped" in ${Runs} runs of ${CommitsPerCheckpoint + 1} commits`, async () => {
    const results: { code: number | string; stopped: boolean }[] = [];
    for (let first = 0; first < Runs; first += AtOnce) {
      const batch = Array.from({ length: Math.min(AtOnce, Runs - first) }, (_, i) => first + i);
      results.push(...(await Promise.all(batch.map(run))));
    }
    expect(results).toEqual(Array.from({ length: Runs }, () => ({ code: 0, stopped: true })));
  }, 300_000);
});
