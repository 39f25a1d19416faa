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
import { captureConsole } from '../../support/console-capture.js';
import { AdminToken, AgentToken } from '../server/harness.js';
import { Bad, Base, CanaryFixture, Good } from './canary-fixture.js';

describe('bootwatch verdict, against a running collector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-verdict-cli-'));
  let collector: RunningCollector;
  const seen = captureConsole();
  let canary: CanaryFixture;
  const verdict = (...argv: string[]) =>
    main(['verdict', ...argv, '--url', collector.url, '--token', AdminToken]);

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
    canary = new CanaryFixture(collector.url);
    await canary.registerVersions();
  });
  afterAll(async () => {
    await collector?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 on promote and prints every check as a table', async () => {
    const id = await canary.start(Good, 'good');
    await canary.boots(Good, 'good', 12);
    await canary.boots(Base, 'good', 12);
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
    const id = await canary.start(Bad, 'bad');
    await canary.boots(Bad, 'bad', 10, true);
    await canary.boots(Base, 'bad', 10);
    expect(await verdict('--candidate', Bad, '--baseline', Base, '--asg', 'bad', '--json')).toBe(3);
    const answer = JSON.parse(seen.out.join('\n')) as VerdictAnswer;
    expect(answer.rollout.id).toBe(Number(id));
    expect(answer.verdict).toBe('rollback');
    expect(answer.evidence?.candidate).toMatchObject({ boots: 10, failures: 10 });
  });

  it('exits 4 on hold, and with --wait still 4 once the timeout passes', async () => {
    const id = await canary.start(Good, 'quiet');
    expect(await verdict('--rollout', id)).toBe(4);
    expect(seen.out.join('\n')).toMatch(/\nverdict: HOLD /);
    expect(
      await verdict('--rollout', id, '--wait', '--timeout', '300ms', '--interval', '100ms'),
    ).toBe(4);
  });

  it('--wait polls until the hold turns into a rollback', async () => {
    const id = await canary.start(Bad, 'later');
    const waiting = verdict('--rollout', id, '--wait', '--timeout', '60s', '--interval', '100ms');
    await new Promise((resolve) => setTimeout(resolve, 250));
    await canary.boots(Bad, 'later', 10, true);
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
