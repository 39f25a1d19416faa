// What a client or an operator reads when a request or the configuration is wrong: the field, the
// value received and what is accepted, in full, for every route schema. Before, `?reason=bogus`
// answered `querystring/reason: must be equal to constant` and nothing more.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollectorConfig } from '../../../collector/config.js';
import { buildCollector } from '../../../collector/server.js';
import { SqliteStore } from '../../../collector/store/sqlite-store.js';
import { ManualClock } from '../../../shared/clock.js';
import { Reasons } from '../../../shared/conventions.js';
import { adminAuth, testApp } from './harness.js';

describe('validation messages name the field, the value and what is accepted', () => {
  let store: SqliteStore;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = new SqliteStore({ path: ':memory:', replicaId: 'messages' });
    await store.migrate();
    app = await testApp(store, new ManualClock(Date.parse('2024-05-01T12:00:00Z')));
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const long = 'i-'.padEnd(100, '0');
  it.each([
    [
      'GET',
      '/api/v1/boots?reason=bogus',
      undefined,
      `querystring/reason: expected one of ${Reasons.join(', ')}, got 'bogus'`,
    ],
    [
      'GET',
      '/api/v1/boots?outcome=maybe',
      undefined,
      "querystring/outcome: expected one of success, failure, got 'maybe'",
    ],
    [
      'GET',
      '/api/v1/boots?limit=5000',
      undefined,
      'querystring/limit: expected a number <= 1000, got 5000',
    ],
    [
      'GET',
      '/api/v1/boots?limit=many',
      undefined,
      "querystring/limit: expected an integer, got 'many'",
    ],
    [
      'GET',
      '/api/v1/boots?colour=red',
      undefined,
      "querystring: unknown field 'colour'; expected one of ami_version, outcome, reason, since, limit, cursor",
    ],
    [
      'GET',
      `/api/v1/boots/${long}`,
      undefined,
      `params/instanceId: expected at most 64 characters, got '${long.slice(0, 80)}...'`,
    ],
    ['GET', '/api/v1/slos?slo=', undefined, "querystring/slo: expected a non-empty string, got ''"],
    [
      'GET',
      '/api/v1/images?days=3',
      undefined,
      "querystring: unknown field 'days'; expected one of since",
    ],
    [
      'POST',
      '/api/v1/images',
      { amiId: 'ami-0123456789abcdef0' },
      'body/version: expected a value, got nothing',
    ],
    [
      'POST',
      '/api/v1/images',
      { amiId: 'ami-x', version: '1' },
      "body/amiId: expected a value matching ^ami-([0-9a-f]{8}|[0-9a-f]{17})$, got 'ami-x'",
    ],
    [
      'POST',
      '/api/v1/images',
      { amiId: 'ami-0123456789abcdef0', version: { major: 7 } },
      'body/version: expected a string, got an object',
    ],
    [
      'POST',
      '/api/v1/images',
      { amiId: 'ami-0123456789abcdef0', version: '1', owner: 'me' },
      "body: unknown field 'owner'; expected one of amiId, region, name, version, build",
    ],
  ])('%s %s', async (method, url, body, message) => {
    const res = await app.inject({
      method: method as 'GET' | 'POST',
      url,
      headers: adminAuth,
      ...(body === undefined ? {} : { payload: body }),
    });
    expect({ status: res.statusCode, error: res.json().error }).toEqual({
      status: 400,
      error: { code: 'BW_BODY_INVALID', message },
    });
  });
});

describe('the collector without any agent credential', () => {
  it('names the settings that fix it, as operators write them', async () => {
    const config = buildCollectorConfig({ file: { log_level: 'silent' }, hostname: 'h' });
    const store = new SqliteStore({ path: ':memory:', replicaId: 'h' });
    try {
      await expect(buildCollector({ config, store, processMetrics: false })).rejects.toMatchObject({
        code: 'BW_CONFIG_INVALID',
        message: expect.stringMatching(
          /BOOTWATCH_TOKEN.*BOOTWATCH_IDENTITY_CERT_DIR.*BOOTWATCH_ALLOW_ANONYMOUS=true/,
        ),
      });
    } finally {
      await store.close();
    }
  });
});
