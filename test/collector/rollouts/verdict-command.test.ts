// `bootwatch verdict` against a real collector on 127.0.0.1 (SQLite in a temporary folder): each
// exit code from a real verdict (0 promote, 4 hold, 3 rollback, 1 error, 2 usage), the rollout
// found by candidate and scope, --json, and --wait until a hold turns into a rollback or times out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { buildCollectorConfig } from '../../../collector/config.js';
import type { VerdictAnswer } from '../../../collector/rollouts/rollout-judge.js';
import { runCollector, type RunningCollector } from '../../../collector/run-collector.js';
import { seededRandom } from '../../../simulator/random.js';
import { captureConsole } from '../../support/console-capture.js';
import { AdminToken, AgentToken, otlpJson, testBoot } from '../server/harness.js';

const [Base, Good, Bad] = ['5.0.0', '5.0.1', '5.0.2'];

describe('bootwatch verdict, against a running collector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-verdict-cli-'));
  let collector: RunningCollector;
  const seen = captureConsole();
  let n = 0;
  const random = seededRandom(5);
  const verdict = (...argv: string[]) =>
    main(['verdict', ...argv, '--url', collector.url, '--token', AdminToken]);
  const post = async (path: string, body: unknown, token = AdminToken) => {
    const r = await fetch(`${collector.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as { rollout: { id: number } } };
  };
  /** `count` first boots of a version in an asg, launched half an hour ago. */
  const boots = async (version: string, asg: string, count: number, failed = false) => {
    const list = Array.from({ length: count }, () => {
      n += 1;
      return testBoot({
        instanceId: `i-${n.toString(16).padStart(17, '0')}`,
        bootId: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
        amiVersion: version,
        asg,
        launchedAt: new Date(Date.now() - 30 * 60_000).toISOString(),
        outcome: failed ? 'failure' : 'success',
        reason: failed ? 'cloud_init_error' : 'none',
        timeToReadySeconds: Math.round(40_000 + random() * 20_000) / 1000,
      });
    });
    expect((await post('/v1/metrics', otlpJson(list), AgentToken)).status).toBe(200);
  };
  const start = async (candidate: string, asg: string) => {
    const r = await post('/api/v1/rollouts', {
      candidate,
      baseline: Base,
      scope: { asgs: [asg] },
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      policy: { minBootsPerSide: 5, minCanaryDurationMs: 0 },
    });
    expect(r.status).toBe(201);
    return String(r.json.rollout.id);
  };

  beforeAll(async () => {
    collector = await runCollector(
      buildCollectorConfig({
        file: {
          listen: '127.0.0.1:0',
          store: join(dir, 'bootwatch.db'),
          token: AgentToken,
          admin_token: AdminToken,
          log_level: 'silent',
        },
        filePath: 'test',
        hostname: 'test',
      }),
      { handleSignals: false },
    );
    for (const [i, version] of [Base, Good, Bad].entries()) {
      const r = await post('/api/v1/images', { amiId: `ami-0a1b2c3d4e5f6002${i}`, version });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 on promote and prints every check as a table', async () => {
    const id = await start(Good, 'good');
    await boots(Good, 'good', 12);
    await boots(Base, 'good', 12);
    expect(await verdict('--rollout', id)).toBe(0);
    const text = seen.out.join('\n');
    expect(text).toMatch(
      new RegExp(
        `^rollout ${id}: 5\\.0\\.1 against 5\\.0\\.0 in asgs good in every region, canary since \\S+\\nverdict: PROMOTE \\(judged \\S+\\)\\n\\ncheck +decision +figure +threshold +detail\\n`,
      ),
    );
    for (const check of ['boot_success_vs_baseline', 'time_to_ready_vs_baseline', 'boots']) {
      expect(text).toMatch(new RegExp(`\\n${check} +pass `));
    }
    expect(text).toMatch(/\nboots +pass +12 boots +5 boots +/);
  });

  it('exits 3 on rollback, found by candidate, baseline and group; --json is the API answer', async () => {
    const id = await start(Bad, 'bad');
    await boots(Bad, 'bad', 10, true);
    await boots(Base, 'bad', 10);
    expect(await verdict('--candidate', Bad, '--baseline', Base, '--asg', 'bad', '--json')).toBe(3);
    const answer = JSON.parse(seen.out.join('\n')) as VerdictAnswer;
    expect(answer.rollout.id).toBe(Number(id));
    expect(answer.verdict).toBe('rollback');
    expect(answer.evidence?.candidate).toMatchObject({ boots: 10, failures: 10 });
  });

  it('exits 4 on hold, and with --wait still 4 once the timeout passes', async () => {
    const id = await start(Good, 'quiet');
    expect(await verdict('--rollout', id)).toBe(4);
    expect(seen.out.join('\n')).toMatch(/\nverdict: HOLD /);
    expect(
      await verdict('--rollout', id, '--wait', '--timeout', '300ms', '--interval', '100ms'),
    ).toBe(4);
  });

  it('--wait polls until the hold turns into a rollback', async () => {
    const id = await start(Bad, 'later');
    const waiting = verdict('--rollout', id, '--wait', '--timeout', '60s', '--interval', '100ms');
    await new Promise((resolve) => setTimeout(resolve, 250));
    await boots(Bad, 'later', 10, true);
    expect(await waiting).toBe(3);
    expect(seen.out.join('\n')).toMatch(/\nverdict: ROLLBACK /);
  });

  it('exits 1 on errors and 2 on usage errors', async () => {
    expect(await verdict('--rollout', '999')).toBe(1);
    expect(seen.err.join('\n')).toMatch(/answered 404: BW_NOT_FOUND: no rollout with id 999$/);
    seen.err.length = 0;
    expect(await verdict('--candidate', '9.9.9')).toBe(1);
    expect(seen.err.join('\n')).toMatch(
      /BW_API_REQUEST: no active rollout matches candidate 9\.9\.9; \d+ active: /,
    );
    expect(
      await main(['verdict', '--rollout', '1', '--url', 'http://127.0.0.1:1', '--token', 'x']),
    ).toBe(1);
    expect(await verdict()).toBe(2);
    expect(await verdict('--rollout', '1', '--candidate', Good)).toBe(2);
    expect(await verdict('--rollout', 'abc')).toBe(2);
  });
});
