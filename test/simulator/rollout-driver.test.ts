// The simulated pipeline on a small scenario, end to end: real agents and the real collector in
// this process on compressed time. It starts each rollout through the API at its time, asks for
// the verdict every simulated minute and does what it says: the good candidate is promoted, the
// bad one (every boot fails) rolled back, each on a verdict with its checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  startInProcessCollector,
  type InProcessCollector,
} from '../../simulator/in-process-collector.js';
import { runSimulation, timelineFor } from '../../simulator/run-simulation.js';
import { parseScenario } from '../../simulator/scenario.js';

const scenario = parseScenario(
  `
name: pipeline
seed: 5
duration: 3h
start: 2026-11-01T00:00:00Z
images:
  - { version: '1.0', boot_time: { median: 60s, p95: 90s } }
  - { version: '1.1', boot_time: { median: 60s, p95: 90s } }
  - version: '1.2'
    boot_time: { median: 60s, p95: 90s }
    failures: { cloud_init_error: 1 }
traffic:
  - { asg: web, from: 10m, per_hour: 40, versions: { '1.0': 1, '1.1': 1 } }
  - { asg: api, from: 10m, per_hour: 20, versions: { '1.0': 1, '1.2': 1 } }
rollouts:
  - { name: good, candidate: '1.1', baseline: '1.0', asg: web, at: 10m, min_boots: 10 }
  - { name: bad, candidate: '1.2', baseline: '1.0', asg: api, at: 10m }
`,
  'pipeline.yaml',
);

describe('the simulated pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-sim-pipeline-'));
  let collector: InProcessCollector | undefined;

  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'promotes the good candidate and rolls the bad one back, through the API',
    { timeout: 120_000 },
    async () => {
      expect(scenario.rollouts).toEqual([
        {
          name: 'good',
          candidate: '1.1',
          baseline: '1.0',
          asg: 'web',
          atMs: 600_000,
          policy: { minBootsPerSide: 10 },
        },
        { name: 'bad', candidate: '1.2', baseline: '1.0', asg: 'api', atMs: 600_000, policy: {} },
      ]);
      const timeline = timelineFor(scenario, Infinity, Date.now());
      collector = await startInProcessCollector({
        store: join(dir, 'bootwatch.db'),
        startMs: timeline.startMs,
        reportDeadlineMs: scenario.reportDeadlineMs,
        token: 'agent-token',
        adminToken: 'admin-token',
        logLevel: 'silent',
      });
      const result = await runSimulation({
        scenario,
        target: { url: collector.running.url, token: 'agent-token', adminToken: 'admin-token' },
        timeline,
        inProcess: collector,
        speed: Infinity,
        concurrency: 4,
      });
      const [good, bad] = result.rollouts;
      expect(good).toMatchObject({ name: 'good', id: 1, state: 'promoted' });
      expect(good!.answer?.verdict).toBe('promote');
      expect(good!.answer?.checks.map((c) => c.name)).toContain('boot_success_vs_baseline');
      expect(bad).toMatchObject({ name: 'bad', id: 2, state: 'rolled_back' });
      expect(bad!.answer?.verdict).toBe('rollback');
      const stored = await collector.running.store.rollouts.list();
      expect(stored.map((r) => [r.candidate, r.state, r.source])).toEqual([
        ['1.1', 'promoted', 'api'],
        ['1.2', 'rolled_back', 'api'],
      ]);
      expect(stored[0]!.startedAtMs).toBe(timeline.startMs + 600_000);
    },
  );
});
