// Who may read the API. Before: with BOOTWATCH_TOKEN and no admin token, GET /api/v1/slos and
// /api/v1/boots answered anyone, instance and account ids included, and nothing said so. Now reads
// need the read or admin token whenever any credential is configured, unless open_reads opens
// them, and the startup log says which routes answer whom.
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCollectorConfig } from '../../../collector/config.js';
import { buildCollector } from '../../../collector/server.js';
import { SqliteStore } from '../../../collector/store/sqlite-store.js';
import { ManualClock } from '../../../shared/clock.js';
import {
  AdminToken,
  AgentToken,
  adminAuth,
  agentAuth,
  otlpJson,
  postOtlp,
  testBoot,
} from './harness.js';

const ReadToken = 'read-token-for-tests';
const readAuth = { authorization: `Bearer ${ReadToken}` };
const Reads = [
  '/api/v1/slos',
  '/api/v1/boots',
  '/api/v1/boots/i-0123456789abcdef0',
  '/api/v1/images',
];

let store: SqliteStore;
const clock = new ManualClock(Date.parse('2024-05-01T12:00:00Z'));
beforeAll(async () => {
  store = new SqliteStore({ path: ':memory:', replicaId: 'reads' });
  await store.migrate();
});
afterAll(() => store.close());

interface Built {
  app: FastifyInstance;
  /** The log lines written while building, parsed. */
  logs: { level: number; msg: string; access?: Record<string, string> }[];
}

async function build(file: Record<string, unknown>): Promise<Built> {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = Fastify({ logger: { level: 'info', stream } }).log;
  const config = buildCollectorConfig({ file: { log_level: 'info', ...file }, hostname: 'reads' });
  const app = await buildCollector({ config, store, clock, logger, processMetrics: false });
  return { app, logs: lines.map((l) => JSON.parse(l) as Built['logs'][number]) };
}

const statuses = async (app: FastifyInstance, headers: Record<string, string> = {}) =>
  Promise.all(Reads.map(async (url) => (await app.inject({ url, headers })).statusCode));

describe('the read API', () => {
  let built: Built | undefined;
  afterEach(async () => {
    await built?.app.close();
    built = undefined;
  });

  it('is closed with only the agent token, and says how to open it', async () => {
    built = await build({ token: AgentToken });
    const { app } = built;
    expect((await postOtlp(app, otlpJson([testBoot()]))).statusCode).toBe(200);
    expect(await statuses(app)).toEqual([401, 401, 401, 401]);
    expect(await statuses(app, agentAuth)).toEqual([401, 401, 401, 401]);
    const res = await app.inject({ url: '/api/v1/boots' });
    expect(res.json().error.code).toBe('BW_AUTH_READ');
    expect(res.json().error.message).toMatch(/BOOTWATCH_READ_TOKEN.*BOOTWATCH_OPEN_READS=true/);
    expect(res.body).not.toContain('i-0123456789abcdef0');
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('answers the read token and the admin token, never the agent token', async () => {
    built = await build({ token: AgentToken, admin_token: AdminToken, read_token: ReadToken });
    const { app } = built;
    expect(await statuses(app, readAuth)).toEqual([200, 200, 200, 200]);
    expect(await statuses(app, adminAuth)).toEqual([200, 200, 200, 200]);
    expect(await statuses(app, agentAuth)).toEqual([401, 401, 401, 401]);
    expect(await statuses(app)).toEqual([401, 401, 401, 401]);
    // The read token reads; it does not register images.
    const post = await app.inject({
      method: 'POST',
      url: '/api/v1/images',
      headers: readAuth,
      payload: { amiId: 'ami-0123456789abcdef0', version: '1.0' },
    });
    expect(post.statusCode).toBe(401);
  });

  it('opens with open_reads, and the startup log warns', async () => {
    built = await build({ token: AgentToken, open_reads: true });
    expect(await statuses(built.app)).toEqual([200, 200, 200, 200]);
    const line = built.logs.find((l) => l.msg.startsWith('route access'));
    expect(line).toMatchObject({ level: 40, access: { 'GET /api/v1/*': 'open (open_reads)' } });
  });

  it('is open in a lab without any credential (allow_anonymous)', async () => {
    built = await build({ allow_anonymous: true });
    expect(await statuses(built.app)).toEqual([200, 200, 200, 200]);
  });

  it('is in the startup log, route by route', async () => {
    built = await build({ token: AgentToken });
    const line = built.logs.find((l) => l.msg === 'route access');
    expect(line?.level).toBe(30);
    expect(line?.access).toEqual({
      'POST /v1/metrics': 'the agent token',
      'POST /v1/events': 'the agent token',
      'GET /api/v1/*': 'closed (no read or admin token is configured)',
      'POST /api/v1/*': 'closed',
      'GET /metrics, /healthz, /readyz': 'open',
    });
  });

  it('reads BOOTWATCH_READ_TOKEN and BOOTWATCH_OPEN_READS from the environment', () => {
    const config = buildCollectorConfig({
      env: { BOOTWATCH_READ_TOKEN: ReadToken, BOOTWATCH_OPEN_READS: 'true' },
    });
    expect({ readToken: config.readToken, openReads: config.openReads }).toEqual({
      readToken: ReadToken,
      openReads: true,
    });
  });
});
