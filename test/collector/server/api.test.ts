import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import { describeStores } from '../../support/stores.js';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import {
  adminAuth,
  agentAuth,
  otlpJson,
  postOtlp,
  storeSnapshot,
  collectorPerTest,
  testApp,
  testBoot,
  withOverrides,
} from './harness.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/real/eventbridge/${name}`, import.meta.url), 'utf8');

const now = Date.parse('2024-05-01T12:00:00Z');

describeStores('collector API', (harness, engine) => {
  let store: Store;
  let app: FastifyInstance;
  const clock = new ManualClock(now);

  collectorPerTest(harness, clock, (s, a) => {
    store = s;
    app = a;
  });

  const postEvents = (payload: string, headers: Record<string, string> = agentAuth) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json', ...headers },
      payload,
    });

  describe('POST /v1/events', () => {
    it('records an event once and counts the launch', async () => {
      const event = fixture('ec2-state-change-pending.json');
      const first = await postEvents(event);
      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ accepted: 1, duplicates: 0, ignored: 0 });
      const again = await postEvents(event, adminAuth);
      expect(again.json()).toEqual({ accepted: 0, duplicates: 1, ignored: 0 });
      expect(await store.getLaunch('i-abcd1111')).toMatchObject({ instanceId: 'i-abcd1111' });
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/bootwatch_launches_total\{[^}]*region="us-east-1"[^}]*\} 1\n/);
    });

    it('counts events that say nothing about launches as ignored', async () => {
      const other = JSON.stringify({
        version: '0',
        id: 'a1b2c3d4-0000-0000-0000-000000000000',
        'detail-type': 'Object Created',
        source: 'aws.s3',
        account: '123456789012',
        time: '2024-05-01T11:00:00Z',
        region: 'eu-west-1',
        resources: [],
        detail: {},
      });
      const res = await postEvents(
        `[${other}, ${fixture('autoscaling-event-launch-successful.json')}]`,
      );
      expect(res.json()).toEqual({ accepted: 1, duplicates: 0, ignored: 1 });
    });

    it('rejects a batch with one malformed event whole, storing nothing', async () => {
      const before = await storeSnapshot(store);
      const broken = JSON.parse(fixture('ec2-state-change-pending.json')) as Record<
        string,
        unknown
      >;
      delete broken.time;
      const res = await postEvents(
        JSON.stringify([JSON.parse(fixture('ec2-state-change-terminated.json')), broken]),
      );
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('BW_EVENT_INVALID');
      expect(await storeSnapshot(store)).toEqual(before);
    });

    it('needs the agent or the admin token, and JSON', async () => {
      const event = fixture('ec2-state-change-pending.json');
      expect((await postEvents(event, {})).statusCode).toBe(401);
      expect((await postEvents(event, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
      const text = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'content-type': 'text/plain', ...agentAuth },
        payload: event,
      });
      expect(text.statusCode).toBe(415);
      expect(text.json().error.code).toBe('BW_UNSUPPORTED_MEDIA_TYPE');
      const notJson = await postEvents('{"id": ');
      expect(notJson.statusCode).toBe(400);
      expect(notJson.json().error.code).toBe('BW_BODY_INVALID');
    });
  });

  describe('images', () => {
    const image = {
      amiId: 'ami-0123456789abcdef0',
      region: 'eu-west-1',
      name: 'web',
      version: '2024.05.1',
      build: { git_sha: 'abc123' },
    };
    const postImage = (payload: unknown, headers: Record<string, string> = adminAuth) =>
      app.inject({ method: 'POST', url: '/api/v1/images', headers, payload: payload as object });

    it('registers an image with the admin token only', async () => {
      expect((await postImage(image, {})).json().error.code).toBe('BW_AUTH_ADMIN');
      expect((await postImage(image, agentAuth)).statusCode).toBe(401);
      const res = await postImage(image);
      expect(res.statusCode).toBe(201);
      expect(await store.getImage(image.amiId)).toMatchObject({
        version: '2024.05.1',
        source: 'registry',
        registeredAtMs: now,
      });
    });

    it('names the invalid field', async () => {
      const bad = await postImage({ ...image, amiId: 'ami-xyz' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatchObject({ code: 'BW_BODY_INVALID' });
      expect(bad.json().error.message).toContain('body/amiId');
      const missing = await postImage({ amiId: image.amiId });
      expect(missing.json().error.message).toContain('body/version');
      const extra = await postImage({ ...image, colour: 'blue' });
      expect(extra.statusCode).toBe(400);
      expect(extra.json().error.message).toContain("'colour'");
      expect(await store.listImages()).toEqual([]);
    });

    it('shows per-version statistics with the registry data alongside', async () => {
      await postImage(image);
      await postOtlp(
        app,
        otlpJson([
          testBoot({ instanceId: 'i-0000000000000001', timeToReadySeconds: 25 }),
          testBoot({ instanceId: 'i-0000000000000002', timeToReadySeconds: 35 }),
          testBoot({
            instanceId: 'i-0000000000000003',
            outcome: 'failure',
            reason: 'probe_timeout',
            timeToReadySeconds: 600,
          }),
          testBoot({
            instanceId: 'i-0000000000000004',
            amiVersion: '2024.04.9',
            amiId: 'ami-0000000000000aaaa',
          }),
        ]),
      );
      expect((await app.inject({ url: '/api/v1/images' })).statusCode).toBe(401);
      const res = await app.inject({ url: '/api/v1/images?since=7d', headers: adminAuth });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.since).toBe('2024-04-24T12:00:00.000Z');
      const v = body.versions.find((x: { amiVersion: string }) => x.amiVersion === '2024.05.1');
      expect(v).toMatchObject({ launches: 3, successes: 2, failures: { probe_timeout: 1 } });
      // (20, 30] holds one, (30, 45] the other: the median's rank 1 is the top of (20, 30].
      expect(v.timeToReadySeconds.p50).toBe(30);
      expect(v.images).toEqual([
        expect.objectContaining({ amiId: image.amiId, build: { git_sha: 'abc123' } }),
      ]);
      expect(body.versions.map((x: { amiVersion: string }) => x.amiVersion)).toContain('2024.04.9');
      const narrow = await app.inject({ url: '/api/v1/images?since=1h', headers: adminAuth });
      expect(
        narrow.json().versions.find((x: { amiVersion: string }) => x.amiVersion === '2024.05.1')
          .launches,
      ).toBe(0);
    });
  });

  describe('boots', () => {
    beforeEach(async () => {
      await postOtlp(
        app,
        otlpJson([
          testBoot({ instanceId: 'i-0000000000000001' }),
          testBoot({ instanceId: 'i-0000000000000002', launchedAt: '2024-05-01T10:10:00.000Z' }),
          testBoot({
            instanceId: 'i-0000000000000003',
            outcome: 'failure',
            reason: 'cloud_init_error',
            timeToReadySeconds: 80,
          }),
        ]),
      );
    });

    it('lists boots with filters and pages through them', async () => {
      const failures = await app.inject({
        url: '/api/v1/boots?outcome=failure',
        headers: adminAuth,
      });
      expect(failures.json().boots.map((b: { instanceId: string }) => b.instanceId)).toEqual([
        'i-0000000000000003',
      ]);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 5; page += 1) {
        const url: string = `/api/v1/boots?limit=1&ami_version=2024.05.1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await app.inject({ url, headers: adminAuth });
        expect(res.statusCode).toBe(200);
        seen.push(...res.json().boots.map((b: { instanceId: string }) => b.instanceId));
        cursor = res.json().nextCursor;
        if (cursor === null) break;
      }
      expect(seen.sort()).toEqual([
        'i-0000000000000001',
        'i-0000000000000002',
        'i-0000000000000003',
      ]);
    });

    it('validates the query, naming the parameter', async () => {
      const bad = await app.inject({ url: '/api/v1/boots?outcome=maybe', headers: adminAuth });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toContain('querystring/outcome');
      const since = await app.inject({ url: '/api/v1/boots?since=recently', headers: adminAuth });
      expect(since.json().error).toMatchObject({ code: 'BW_BODY_INVALID' });
      const limit = await app.inject({ url: '/api/v1/boots?limit=5000', headers: adminAuth });
      expect(limit.json().error.message).toContain('querystring/limit');
    });

    it('shows one instance with its timeline by phase', async () => {
      const res = await app.inject({ url: '/api/v1/boots/i-0000000000000001', headers: adminAuth });
      expect(res.statusCode).toBe(200);
      const [boot] = res.json().boots;
      expect(boot.timeline.phases.map((p: { phase: string }) => p.phase)).toEqual([
        'provisioning',
        'kernel',
        'userspace',
        'cloud_init_init',
        'probe_wait',
      ]);
      expect(boot.timeline.phases[1]).toEqual({
        phase: 'kernel',
        startSeconds: 12,
        durationSeconds: 1.5,
      });
      expect(boot.timeline.unaccountedSeconds).toBe(2);
      const missing = await app.inject({
        url: '/api/v1/boots/i-0fffffffffffffff0',
        headers: adminAuth,
      });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('BW_NOT_FOUND');
    });

    it('is open without a credential only when open_reads says so', async () => {
      await app.close();
      app = await testApp(store, clock, { admin_token: null });
      expect((await app.inject({ url: '/api/v1/boots' })).statusCode).toBe(401);
      await app.close();
      app = await testApp(store, clock, { admin_token: null, open_reads: true });
      expect((await app.inject({ url: '/api/v1/boots' })).statusCode).toBe(200);
    });
  });

  describe('health and errors', () => {
    it('answers /healthz and /readyz', async () => {
      expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await app.inject({ url: '/readyz' })).json()).toEqual({
        status: 'ready',
        store: engine,
      });
      app.bootwatch.startDraining();
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    });

    it('is unready when the store does not answer', async () => {
      await store.close();
      const res = await app.inject({ url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    });

    it('answers unknown routes with a JSON 404', async () => {
      const res = await app.inject({ url: '/v2/nothing' });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('BW_NOT_FOUND');
    });

    it('hides unexpected errors behind BW_INTERNAL', async () => {
      await app.close();
      const broken = withOverrides(store, {
        listImages: async () => {
          throw new TypeError("Cannot read properties of undefined (reading 'secret')");
        },
      });
      app = await testApp(broken, clock);
      const res = await app.inject({ url: '/api/v1/images', headers: adminAuth });
      expect(res.statusCode).toBe(500);
      expect(res.json().error.code).toBe('BW_INTERNAL');
      expect(res.body).not.toContain('secret');
      expect(res.body).not.toContain('at ');
    });
  });
});
