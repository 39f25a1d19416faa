// The rollout routes through the collector, on both engines: a canary started, listed, read,
// judged and finished; every bad request answered with its 4xx, code and a message naming the
// field, and nothing stored (the rollouts listed before and after are the same).
import type { FastifyInstance } from 'fastify';
import { beforeEach, expect, it } from 'vitest';
import type { VerdictAnswer } from '../../../collector/rollouts/rollout-judge.js';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import { describeStores } from '../../support/stores.js';
import { adminAuth, AgentToken, collectorPerTest } from '../server/harness.js';

const Now = Date.parse('2026-12-03T14:00:00Z');

describeStores('rollout routes', (harness) => {
  let store: Store;
  let app: FastifyInstance;
  const clock = new ManualClock(Now);

  const start = (payload: unknown, headers: Record<string, string> = adminAuth) =>
    app.inject({ method: 'POST', url: '/api/v1/rollouts', headers, payload: payload as object });
  const listed = async () =>
    (await app.inject({ url: '/api/v1/rollouts', headers: adminAuth })).json<{
      rollouts: unknown[];
    }>().rollouts;

  beforeEach(() => clock.set(Now));
  collectorPerTest(harness, clock, (s, a) => {
    store = s;
    app = a;
  });
  beforeEach(async () => {
    for (const [amiId, version] of [
      ['ami-0a1b2c3d4e5f60001', '2026.12.1'],
      ['ami-0a1b2c3d4e5f60002', '2026.12.2'],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/images',
        headers: adminAuth,
        payload: { amiId, version, region: 'eu-west-1' },
      });
      expect(r.statusCode).toBe(201);
    }
  });

  it('starts, lists, reads, judges and finishes a canary', async () => {
    const r = await start({
      candidate: '2026.12.2',
      baseline: '2026.12.1',
      scope: { asgs: ['web'] },
      policy: { minBootsPerSide: 20, falseRollback: { timeToReady: 0.02 } },
    });
    expect(r.statusCode).toBe(201);
    const rollout = r.json<{ rollout: Record<string, unknown> }>().rollout;
    expect(rollout).toEqual({
      id: 1,
      candidate: '2026.12.2',
      baseline: '2026.12.1',
      scope: { asgs: ['web'], regions: [] },
      startedAt: '2026-12-03T14:00:00.000Z',
      startedAtMs: Now,
      policy: { minBootsPerSide: 20, falseRollback: { timeToReady: 0.02 } },
      state: 'canary',
      source: 'api',
      finishedAt: null,
      finishedAtMs: null,
      note: null,
      lastVerdict: null,
    });
    expect(await listed()).toEqual([rollout]);
    const one = await app.inject({ url: '/api/v1/rollouts/1', headers: adminAuth });
    expect(one.json()).toEqual({ rollout });

    clock.advance(60_000);
    const v = await app.inject({ url: '/api/v1/rollouts/1/verdict', headers: adminAuth });
    expect(v.statusCode).toBe(200);
    const verdict = v.json<VerdictAnswer>();
    // No boots yet: hold, for want of evidence, and said so.
    expect(verdict.verdict).toBe('hold');
    expect(verdict.evidence).toEqual({
      candidate: {
        version: '2026.12.2',
        boots: 0,
        successes: 0,
        failures: 0,
        failureRatio: null,
        medianReadySeconds: null,
      },
      baseline: {
        version: '2026.12.1',
        boots: 0,
        successes: 0,
        failures: 0,
        failureRatio: null,
        medianReadySeconds: null,
      },
    });
    expect(verdict.checks.find((c) => c.name === 'boots')?.decision).toBe('hold');
    expect(verdict.slo).toMatchObject({ allowedErrorRatio: expect.closeTo(0.001, 9) });
    expect(verdict.rollout.lastVerdict).toEqual({
      verdict: 'hold',
      at: '2026-12-03T14:01:00.000Z',
      atMs: Now + 60_000,
    });

    const p = await app.inject({
      method: 'POST',
      url: '/api/v1/rollouts/1/promote',
      headers: adminAuth,
      payload: { note: 'pipeline 42 promoted' },
    });
    expect(p.statusCode).toBe(200);
    expect(p.json().rollout).toMatchObject({
      state: 'promoted',
      finishedAt: '2026-12-03T14:01:00.000Z',
      note: 'pipeline 42 promoted',
    });
    const canaries = await app.inject({ url: '/api/v1/rollouts?state=canary', headers: adminAuth });
    expect(canaries.json()).toEqual({ rollouts: [] });
    // A finished rollout answers its last verdict as a canary.
    const last = await app.inject({ url: '/api/v1/rollouts/1/verdict', headers: adminAuth });
    expect(last.json().verdict).toBe('hold');
    expect(last.json().notes[0]).toBe(
      'the rollout is promoted (at 2026-12-03T14:01:00.000Z): this is its last verdict as a canary',
    );
    // rollback and abort without a body.
    await start({ candidate: '2026.12.1', baseline: null, scope: { regions: ['eu-west-1'] } });
    const abort = await app.inject({
      method: 'POST',
      url: '/api/v1/rollouts/2/abort',
      headers: adminAuth,
    });
    expect(abort.statusCode).toBe(200);
    expect(abort.json().rollout.state).toBe('aborted');
  });

  const bad: [string, unknown, number, string, RegExp][] = [
    [
      'an unknown candidate',
      { candidate: '9.9', baseline: '2026.12.1', scope: { asgs: ['web'] } },
      400,
      'BW_ROLLOUT_INVALID',
      /^body\/candidate: version "9\.9" is not in the image registry; register it first \(POST \/api\/v1\/images\); known versions include 2026\.12\.1, 2026\.12\.2$/,
    ],
    [
      'an unknown baseline',
      { candidate: '2026.12.2', baseline: '1.0', scope: { asgs: ['web'] } },
      400,
      'BW_ROLLOUT_INVALID',
      /^body\/baseline: version "1\.0" is not in the image registry/,
    ],
    [
      'a candidate equal to its baseline',
      { candidate: '2026.12.2', baseline: '2026.12.2', scope: { asgs: ['web'] } },
      400,
      'BW_ROLLOUT_INVALID',
      /^body\/baseline: the candidate "2026\.12\.2" cannot be its own baseline/,
    ],
    [
      'a policy out of range',
      { candidate: '2026.12.2', scope: { asgs: ['web'] }, policy: { minBootsPerSide: 0 } },
      400,
      'BW_ROLLOUT_INVALID',
      /^body\/policy: minBootsPerSide must be a whole number >= 1, got 0$/,
    ],
    [
      'an unknown policy field',
      { candidate: '2026.12.2', scope: { asgs: ['web'] }, policy: { minBoots: 3 } },
      400,
      'BW_BODY_INVALID',
      /minBoots/,
    ],
    [
      'a false-rollback budget of 1',
      { candidate: '2026.12.2', scope: {}, policy: { falseRollback: { timeToReady: 1 } } },
      400,
      'BW_BODY_INVALID',
      /timeToReady/,
    ],
    [
      'a bad start time',
      { candidate: '2026.12.2', scope: {}, startedAt: 'yesterday' },
      400,
      'BW_ROLLOUT_INVALID',
      /^body\/startedAt: "yesterday" is not an RFC 3339 time/,
    ],
    ['no scope', { candidate: '2026.12.2' }, 400, 'BW_BODY_INVALID', /scope/],
    [
      'a group name with a NUL',
      { candidate: '2026.12.2', scope: { asgs: ['web', 'a\u0000b'] } },
      400,
      'BW_ROLLOUT_INVALID',
      /^body\/scope\/asgs\/1: contains a control character; expected printable text$/,
    ],
    [
      'a region that is not one',
      { candidate: '2026.12.2', scope: { regions: ['Paris'] } },
      400,
      'BW_BODY_INVALID',
      /regions/,
    ],
  ];
  for (const [what, body, status, code, message] of bad) {
    it(`refuses ${what}, storing nothing`, async () => {
      const r = await start(body);
      expect(r.statusCode).toBe(status);
      expect(r.json().error.code).toBe(code);
      expect(r.json().error.message).toMatch(message);
      expect(await listed()).toEqual([]);
    });
  }

  it('refuses an overlapping canary, a second finish, an unknown id and a missing token', async () => {
    expect((await start({ candidate: '2026.12.2', scope: { asgs: ['web'] } })).statusCode).toBe(
      201,
    );
    const before = await listed();
    const overlap = await start({ candidate: '2026.12.1', scope: { regions: ['eu-west-1'] } });
    expect(overlap.statusCode).toBe(409);
    expect(overlap.json().error).toEqual({
      code: 'BW_ROLLOUT_CONFLICT',
      message:
        'rollout 1 (2026.12.2) is already a canary in asgs web in every region, which overlaps every group in regions eu-west-1: finish it (promote, rollback or abort) first',
    });
    const post = (url: string) =>
      app.inject({ method: 'POST', url, headers: adminAuth, payload: {} });
    const nul = await app.inject({
      method: 'POST',
      url: '/api/v1/rollouts/1/rollback',
      headers: adminAuth,
      payload: { note: 'bad\u0000note' },
    });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error.message).toBe(
      'body/note: contains a control character; expected printable text',
    );
    expect((await store.rollouts.get(1))?.state).toBe('canary');
    expect((await post('/api/v1/rollouts/1/rollback')).statusCode).toBe(200);
    const again = await post('/api/v1/rollouts/1/promote');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(
      /^rollout 1 is already rolled_back \(at 2026-12-03T14:00:00\.000Z\); only a canary can be marked promoted$/,
    );
    expect((await post('/api/v1/rollouts/7/abort')).statusCode).toBe(404);
    expect((await post('/api/v1/rollouts/x/abort')).statusCode).toBe(400);
    const agent = await start(
      { candidate: '2026.12.1', scope: { asgs: ['api'] } },
      { authorization: `Bearer ${AgentToken}` },
    );
    expect(agent.statusCode).toBe(401);
    const after = await listed();
    expect(after).toHaveLength(1);
    expect((after[0] as { state: string }).state).toBe('rolled_back');
    expect(before).toHaveLength(1);
    const unknownState = await app.inject({
      url: '/api/v1/rollouts?state=done',
      headers: adminAuth,
    });
    expect(unknownState.statusCode).toBe(400);
    expect(unknownState.json().error.message).toMatch(/state/);
    const never = await app.inject({ url: '/api/v1/rollouts/9/verdict', headers: adminAuth });
    expect(never.statusCode).toBe(404);
  });
});
