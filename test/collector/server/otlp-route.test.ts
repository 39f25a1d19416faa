import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStores } from '../../support/stores.js';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import {
  identityDocumentJson,
  identityHeaders,
  makeIdentityAuthority,
} from '../../support/identity-keys.js';
import {
  otlpJson,
  otlpStatus,
  postOtlp,
  storeSnapshot,
  collectorPerTest,
  testApp,
  testBoot,
  withOverrides,
} from './harness.js';

const now = Date.parse('2024-05-01T10:05:00Z');

describeStores('POST /v1/metrics', (harness) => {
  let store: Store;
  let app: FastifyInstance;
  const clock = new ManualClock(now);

  collectorPerTest(harness, clock, (s, a) => {
    store = s;
    app = a;
  });

  it('stores an OTLP/JSON boot, answers an empty ExportMetricsServiceResponse and counts it', async () => {
    const res = await postOtlp(app, otlpJson([testBoot()]));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({});
    const [stored] = await store.getBoots('i-0123456789abcdef0');
    expect(stored).toMatchObject({
      amiVersion: '2024.05.1',
      outcome: 'success',
      timeToReadySeconds: 42.5,
    });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/bootwatch_boots_total\{[^}]*ami_version="2024\.05\.1"[^}]*\} 1\n/);
  });

  it('counts a repeated export once (cumulative temporality, retries)', async () => {
    const body = otlpJson([testBoot()]);
    for (let i = 0; i < 3; i += 1) expect((await postOtlp(app, body)).statusCode).toBe(200);
    expect((await store.queryBoots({ limit: 10 })).boots).toHaveLength(1);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/bootwatch_boots_total\{[^}]*\} 1\n/);
  });

  it('accepts gzip', async () => {
    const res = await postOtlp(app, gzipSync(otlpJson([testBoot()])), {
      'content-encoding': 'gzip',
    });
    expect(res.statusCode).toBe(200);
    expect(await store.getBoots('i-0123456789abcdef0')).toHaveLength(1);
  });

  it('answers a partial success when a boot does not rebuild, and stores the others', async () => {
    const bad = { ...testBoot({ instanceId: 'i-00000000000000bad' }), launchedAt: 'yesterday' };
    const res = await postOtlp(app, otlpJson([testBoot(), bad]));
    expect(res.statusCode).toBe(200);
    const partial = res.json().partialSuccess;
    expect(Number(partial.rejectedDataPoints)).toBeGreaterThan(0);
    expect(partial.errorMessage).toContain('i-00000000000000bad');
    expect(await store.getBoots('i-0123456789abcdef0')).toHaveLength(1);
    expect(await store.getBoots('i-00000000000000bad')).toHaveLength(0);
  });

  it('keeps the partial-success message short when many boots are rejected', async () => {
    const bad = Array.from({ length: 12 }, (_, i) => ({
      ...testBoot({ instanceId: `i-0000000000000${String(i).padStart(4, '0')}` }),
      launchedAt: 'yesterday',
    }));
    const res = await postOtlp(app, otlpJson(bad));
    expect(res.statusCode).toBe(200);
    expect(res.json().partialSuccess.errorMessage).toMatch(/; and 2 more$/);
  });

  describe('rejects, storing nothing', () => {
    const cases: [
      string,
      () => { body: string | Buffer; headers?: Record<string, string> },
      number,
      string,
    ][] = [
      [
        'a truncated protobuf',
        () => ({
          body: Buffer.from([0x0a, 0xff, 0x01, 0x0a]),
          headers: { 'content-type': 'application/x-protobuf' },
        }),
        400,
        'BW_OTLP_DECODE',
      ],
      ['JSON that is not JSON', () => ({ body: '{"resourceMetrics": [' }), 400, 'BW_OTLP_DECODE'],
      [
        'JSON with wrong types',
        () => ({ body: JSON.stringify({ resourceMetrics: { resource: 5 } }) }),
        400,
        'BW_OTLP_DECODE',
      ],
      [
        'a corrupt gzip stream',
        () => ({ body: Buffer.from('not gzip at all'), headers: { 'content-encoding': 'gzip' } }),
        400,
        'BW_BAD_ENCODING',
      ],
      [
        'an unknown encoding',
        () => ({ body: otlpJson([testBoot()]), headers: { 'content-encoding': 'br' } }),
        400,
        'BW_BAD_ENCODING',
      ],
      [
        'a body over the limit',
        () => ({ body: ' '.repeat(64 * 1024 + 1) }),
        413,
        'BW_BODY_TOO_LARGE',
      ],
      [
        'a gzip bomb',
        () => ({
          body: gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20)),
          headers: { 'content-encoding': 'gzip' },
        }),
        413,
        'BW_BODY_TOO_LARGE',
      ],
      [
        'another media type',
        () => ({ body: otlpJson([testBoot()]), headers: { 'content-type': 'text/plain' } }),
        415,
        'BW_UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        'no credentials',
        () => ({ body: otlpJson([testBoot()]), headers: { authorization: '' } }),
        401,
        'BW_AUTH_MISSING',
      ],
      [
        'a wrong token',
        () => ({ body: otlpJson([testBoot()]), headers: { authorization: 'Bearer nope' } }),
        401,
        'BW_AUTH_INVALID',
      ],
    ];
    it.each(cases)('%s', async (_name, make, status, code) => {
      await app.close();
      app = await testApp(store, clock, { body_limit: 64 * 1024 });
      await postOtlp(app, otlpJson([testBoot({ instanceId: 'i-0000000000000seed' })]));
      const before = await storeSnapshot(store);
      const { body, headers = {} } = make();
      const res = await postOtlp(app, body, headers);
      expect(res.statusCode).toBe(status);
      const answer = otlpStatus(res);
      expect(answer.message).toContain(code);
      expect(answer.code).toBeGreaterThan(0);
      expect(await storeSnapshot(store)).toEqual(before);
    });
  });

  it('answers errors of a protobuf request as a protobuf google.rpc.Status', async () => {
    const res = await postOtlp(app, Buffer.from([0x0a, 0x05, 0x01]), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/x-protobuf/);
    const status = otlpStatus(res);
    expect(status.code).toBe(3);
    expect(status.message).toContain('BW_OTLP_DECODE');
  });

  it('sheds load with 503 and Retry-After: 1 past max_in_flight', async () => {
    await app.close();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((r) => (entered = r));
    const slow = withOverrides(store, {
      upsertBoot: async (...args) => {
        entered();
        await gate;
        return store.upsertBoot(...args);
      },
    });
    app = await testApp(slow, clock, { max_in_flight: 1 });
    const first = postOtlp(app, otlpJson([testBoot()]));
    await inside;
    const second = await postOtlp(app, otlpJson([testBoot({ instanceId: 'i-0000000000000002' })]));
    expect(second.statusCode).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.json().message).toContain('BW_OVERLOADED');
    release();
    expect((await first).statusCode).toBe(200);
    // The slot is free again.
    expect(
      (await postOtlp(app, otlpJson([testBoot({ instanceId: 'i-0000000000000002' })]))).statusCode,
    ).toBe(200);
  });

  it('stores and counts every boot of concurrent requests once, repeats included', async () => {
    const boots = Array.from({ length: 24 }, (_, i) =>
      testBoot({ instanceId: `i-${String(i).padStart(17, '0')}`, timeToReadySeconds: 10 + i }),
    );
    const bodies = [...boots.map((b) => otlpJson([b])), otlpJson(boots.slice(0, 3))];
    const answers = await Promise.all(bodies.map((b) => postOtlp(app, b)));
    expect(answers.map((r) => r.statusCode)).toEqual(bodies.map(() => 200));
    expect((await store.queryBoots({ limit: 100 })).boots).toHaveLength(24);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/\nbootwatch_boots_total\{[^}]*ami_version="2024\.05\.1"[^}]*\} 24\n/);
    expect(metrics).toMatch(/\nbootwatch_time_to_ready_seconds_count\{[^}]*\} 24\n/);
    expect(metrics).toMatch(/\nbootwatch_time_to_ready_seconds_bucket\{[^}]*le="20"\} 11\n/);
  });

  it('counts the boots of a request that were written when another fails, and answers 503', async () => {
    await app.close();
    const failing = withOverrides(store, {
      upsertBoot: async (report, at) => {
        if (report.instanceId.endsWith('bad')) throw new Error('SQLITE_FULL: disk is full');
        return store.upsertBoot(report, at);
      },
    });
    app = await testApp(failing, clock);
    const good = testBoot({ instanceId: 'i-000000000000000a1' });
    const bad = testBoot({ instanceId: 'i-00000000000000bad' });
    const res = await postOtlp(app, otlpJson([good, bad]));
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toContain('i-00000000000000bad');
    expect(await store.getBoots(good.instanceId)).toHaveLength(1);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/\nbootwatch_boots_total\{[^}]*\} 1\n/);
    // The exporter retries the whole request: the boot already written is not counted again.
    await postOtlp(app, otlpJson([good]));
    expect((await app.inject({ url: '/metrics' })).body).toMatch(
      /\nbootwatch_boots_total\{[^}]*\} 1\n/,
    );
  });

  it('answers 503 with Retry-After when the store write fails', async () => {
    await app.close();
    const failing = withOverrides(store, {
      upsertBoot: async () => {
        throw new Error('SQLITE_FULL: database or disk is full');
      },
    });
    app = await testApp(failing, clock);
    const res = await postOtlp(app, otlpJson([testBoot()]));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().message).toContain('BW_STORE_WRITE');
  });
});

describeStores('POST /v1/metrics with signed identity documents', (harness) => {
  const authority = makeIdentityAuthority();
  const clock = new ManualClock(now);
  let store: Store;
  let app: FastifyInstance;

  beforeEach(async () => {
    store = await harness().open({ replicaId: 'test-replica', clock });
    app = await testApp(store, clock, { token: null, identity_cert_dir: authority.certDir });
  });
  afterEach(() => app.close());

  // The document of the instance testBoot() describes: its type and launch are signed too.
  const signedFor = (instanceId: string) =>
    identityHeaders(
      authority.sign(
        identityDocumentJson({
          instanceId,
          instanceType: 't3.micro',
          pendingTime: '2024-05-01T10:00:00Z',
        }),
      ),
    );

  it('accepts the boot of the instance the document names', async () => {
    const res = await postOtlp(app, otlpJson([testBoot()]), {
      authorization: '',
      ...signedFor('i-0123456789abcdef0'),
    });
    expect(res.statusCode).toBe(200);
    expect(await store.getBoots('i-0123456789abcdef0')).toHaveLength(1);
  });

  it('rejects a request whole with 403 when any boot names another instance', async () => {
    const before = await storeSnapshot(store);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { 'content-type': 'application/json', ...signedFor('i-0123456789abcdef0') },
      payload: otlpJson([testBoot(), testBoot({ instanceId: 'i-0fffffffffffffff0' })]),
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('BW_AUTH_MISMATCH');
    expect(await storeSnapshot(store)).toEqual(before);
  });
});
