import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../agent/backoff.js';
import {
  createImdsClient,
  type ImdsClient,
  type ImdsClientOptions,
} from '../../agent/imds-client.js';
import { ManualClock } from '../../shared/clock.js';
import { BootwatchError } from '../../shared/errors.js';
import {
  type FakeImds,
  type FakeImdsOptions,
  ipv6LoopbackAvailable,
  startFakeImds,
} from '../support/fake-imds.js';

const AmiPath = '/latest/meta-data/ami-id';
const Values = {
  [AmiPath]: 'ami-0abcdef1234567890',
  '/latest/meta-data/instance-id': 'i-0123456789abcdef0',
  '/latest/meta-data/placement/region': 'eu-west-1',
  '/latest/meta-data/iam/info': '{"Code" : "Success"}',
};
const hasIpv6 = await ipv6LoopbackAvailable();

const opened: { fakes: FakeImds[]; clients: ImdsClient[] } = { fakes: [], clients: [] };
afterEach(async () => {
  for (const c of opened.clients.splice(0)) c.close();
  await Promise.all(opened.fakes.splice(0).map((f) => f.close()));
});

async function fake(options: FakeImdsOptions = {}): Promise<FakeImds> {
  const f = await startFakeImds({ values: Values, ...options });
  opened.fakes.push(f);
  return f;
}

/**
 * A client whose backoff sleeps move a manual clock instead of waiting, so that budgets are
 * exercised without real time; `onSleep` runs at each sleep (e.g. to bring IMDS up).
 */
function client(
  endpoint: string,
  options: Partial<ImdsClientOptions> & { onSleep?: (n: number) => Promise<void> | void } = {},
) {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock(0);
  const logs: string[] = [];
  const sleeps: number[] = [];
  const c = createImdsClient({
    endpoint,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
      await options.onSleep?.(sleeps.length);
    },
    log: (m) => logs.push(m),
    ...options,
  });
  opened.clients.push(c);
  return { c, clock, logs, sleeps };
}

async function rejection(p: Promise<unknown>): Promise<BootwatchError> {
  const e = await p.then(
    () => new Error('expected a rejection'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(BootwatchError);
  return e as BootwatchError;
}

const summary = (f: FakeImds) => f.requests.map((r) => `${r.method} ${r.path} ${r.status}`);

describe('fake IMDS behaves like EC2', () => {
  it('needs a TTL of 1..21600 on the token PUT and a valid token on GETs', async () => {
    const clock = new ManualClock(0);
    const f = await fake({ clock });
    const put = (ttl?: string, extra: Record<string, string> = {}) =>
      fetch(`${f.url}/latest/api/token`, {
        method: 'PUT',
        headers: {
          ...(ttl === undefined ? {} : { 'X-aws-ec2-metadata-token-ttl-seconds': ttl }),
          ...extra,
        },
      });
    for (const bad of [undefined, '0', '21601', 'abc']) expect((await put(bad)).status).toBe(400);
    expect((await put('60', { 'X-Forwarded-For': '10.0.0.1' })).status).toBe(403);
    const ok = await put('60');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-aws-ec2-metadata-token-ttl-seconds')).toBe('60');
    const token = await ok.text();

    const get = (t?: string) =>
      fetch(f.url + AmiPath, { headers: t ? { 'X-aws-ec2-metadata-token': t } : {} });
    expect((await get()).status).toBe(401);
    expect((await get('not-a-token')).status).toBe(401);
    expect(await (await get(token)).text()).toBe(Values[AmiPath]);
    clock.advance(60_000);
    expect((await get(token)).status).toBe(401);
  });

  it('lists directories one child per line, sub-directories with a trailing slash', async () => {
    const f = await fake({ allowV1: true });
    const text = async (p: string) => (await fetch(f.url + p)).text();
    expect(await text('/latest/meta-data/')).toBe('ami-id\niam/\ninstance-id\nplacement/');
    expect(await text('/latest/meta-data/placement')).toBe('region');
    expect((await fetch(`${f.url}/latest/meta-data/nope`)).status).toBe(404);
  });
});

describe('IMDSv2 client', () => {
  it('uses one token for many GETs, sequential and concurrent', async () => {
    const f = await fake();
    const { c } = client(f.url);
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
    const all = await Promise.all([AmiPath, '/latest/meta-data/instance-id', AmiPath].map(c.get));
    expect(all).toEqual([Values[AmiPath], 'i-0123456789abcdef0', Values[AmiPath]]);
    expect(await c.getJson('/latest/meta-data/iam/info')).toEqual({ Code: 'Success' });
    expect(f.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(f.requests.filter((r) => r.method === 'GET').every((r) => r.hadToken)).toBe(true);
  });

  it('answers null for a 404 and BW_IMDS_BAD_RESPONSE for a body that is not JSON', async () => {
    const f = await fake();
    const { c } = client(f.url);
    expect(await c.get('/latest/meta-data/tags/instance')).toBeNull();
    expect(await c.getJson('/latest/meta-data/tags/instance')).toBeNull();
    const e = await rejection(c.getJson(AmiPath));
    expect(e.code).toBe('BW_IMDS_BAD_RESPONSE');
    expect(e.message).toContain(Values[AmiPath]);
  });

  it('refreshes the token once when IMDS answers 401 (token expired on the IMDS side)', async () => {
    const imdsClock = new ManualClock(0);
    const f = await fake({ clock: imdsClock });
    const { c, logs } = client(f.url, { tokenTtlSeconds: 60 });
    await c.get(AmiPath);
    imdsClock.advance(61_000); // the client's own clock did not move: it still trusts its token
    expect(await c.get('/latest/meta-data/instance-id')).toBe('i-0123456789abcdef0');
    expect(summary(f)).toEqual([
      'PUT /latest/api/token 200',
      `GET ${AmiPath} 200`,
      'GET /latest/meta-data/instance-id 401',
      'PUT /latest/api/token 200',
      'GET /latest/meta-data/instance-id 200',
    ]);
    expect(logs.join('\n')).toContain('401');
  });

  it('fails with BW_IMDS_BAD_RESPONSE when even a fresh token is rejected', async () => {
    let t = 0;
    // Each reading of this clock is a day later: every token has expired when it is checked.
    const f = await fake({ clock: { now: () => (t += 86_400_000) } });
    const { c, sleeps } = client(f.url);
    const e = await rejection(c.get(AmiPath));
    expect(e.code).toBe('BW_IMDS_BAD_RESPONSE');
    expect(e.message).toMatch(/401 to GET .* even with a freshly issued token/);
    expect(summary(f)).toEqual([
      'PUT /latest/api/token 200',
      `GET ${AmiPath} 401`,
      'PUT /latest/api/token 200',
      `GET ${AmiPath} 401`,
    ]);
    expect(sleeps).toEqual([]);
  });

  it('refreshes the token before its TTL runs out, without waiting for a 401', async () => {
    const clock = new ManualClock(0);
    const f = await fake({ clock });
    const { c } = client(f.url, { clock, tokenTtlSeconds: 60 });
    await c.get(AmiPath);
    clock.advance(50_000);
    await c.get(AmiPath);
    expect(summary(f)).toEqual([
      'PUT /latest/api/token 200',
      `GET ${AmiPath} 200`,
      'PUT /latest/api/token 200',
      `GET ${AmiPath} 200`,
    ]);
  });

  it('fails with BW_IMDS_DISABLED on a 403, without retrying', async () => {
    const f = await fake({ disabled: true });
    const { c, sleeps } = client(f.url);
    const e = await rejection(c.get(AmiPath));
    expect(e.code).toBe('BW_IMDS_DISABLED');
    expect(e.message).toContain(f.url);
    expect(f.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('fails with BW_IMDS_BAD_RESPONSE naming the status when the token PUT answers 400', async () => {
    const f = await fake({ maxTokenTtlSeconds: 3600 }); // an endpoint with a lower TTL limit
    const { c } = client(f.url, { allowV1: true });
    const e = await rejection(c.get(AmiPath));
    expect(e.code).toBe('BW_IMDS_BAD_RESPONSE');
    expect(e.message).toMatch(/answered 400 to PUT \/latest\/api\/token \(ttl 21600 s\)/);
    expect(summary(f)).toEqual(['PUT /latest/api/token 400']);
  });

  it('rejects a TTL outside 1..21600 and an endpoint that is not an http base URL', () => {
    for (const tokenTtlSeconds of [0, 21601, 1.5]) {
      expect(() => createImdsClient({ tokenTtlSeconds })).toThrow(/tokenTtlSeconds/);
    }
    for (const endpoint of ['https://169.254.169.254', 'http://169.254.169.254/latest', 'nope']) {
      expect(() => createImdsClient({ endpoint })).toThrow(BootwatchError);
    }
  });
});

describe('while IMDS is not up', () => {
  it('retries with backoff until IMDS starts listening', async () => {
    const f = await fake({ deferListen: true });
    const { c, logs, sleeps } = client(f.url, {
      onSleep: async (n) => {
        if (n === 3) await f.listen();
      },
    });
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
    expect(sleeps).toHaveLength(3);
    expect(logs[0]).toMatch(/ECONNREFUSED/);
    expect(logs.at(-1)).toMatch(/after 4 attempts/);
  });

  it('retries in real time until a server that starts late answers', async () => {
    const f = await fake({ startDelayMs: 200 });
    const c = createImdsClient({ endpoint: f.url, initialBackoffMs: 20, maxBackoffMs: 80 });
    opened.clients.push(c);
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
    await f.listening;
  });

  it('retries 5xx answers and reset connections', async () => {
    const f = await fake();
    const { c, sleeps } = client(f.url);
    f.failNext(2, 503);
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
    f.failNext(1, 'reset');
    expect(await c.get('/latest/meta-data/instance-id')).toBe('i-0123456789abcdef0');
    expect(sleeps).toHaveLength(3);
  });

  it('gives up with BW_IMDS_UNREACHABLE when the budget runs out, then tries only once', async () => {
    const f = await fake({ deferListen: true });
    const { c, sleeps } = client(f.url, { totalBudgetMs: 5000 });
    const e = await rejection(c.get(AmiPath));
    expect(e.code).toBe('BW_IMDS_UNREACHABLE');
    expect(e.message).toContain(f.url);
    expect(e.message).toMatch(/last error: .*ECONNREFUSED/);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(5000);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(2000);

    const before = sleeps.length;
    expect((await rejection(c.get(AmiPath))).code).toBe('BW_IMDS_UNREACHABLE');
    expect(sleeps).toHaveLength(before);
    await f.listen(); // once IMDS answers again, the client is healthy again
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
  });

  it('shares one retry budget among all calls', async () => {
    const f = await fake();
    const { c, sleeps } = client(f.url, { totalBudgetMs: 1000, random: () => 0.999999 });
    f.failNext(3, 503);
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
    expect(sleeps).toEqual([100, 200, 400]);
    f.failNext(100, 503);
    const e = await rejection(c.get('/latest/meta-data/instance-id'));
    expect(e.code).toBe('BW_IMDS_UNREACHABLE');
    expect(e.message).toMatch(/1000 ms of the 1000 ms retry budget used; last error: .*503/);
    expect(sleeps).toEqual([100, 200, 400, 100, 200]);
  });

  it('counts a request that times out as not answering', async () => {
    const f = await fake({ responseDelayMs: 2000 });
    const { c } = client(f.url, { perRequestTimeoutMs: 50, totalBudgetMs: 300 });
    const e = await rejection(c.get(AmiPath));
    expect(e.code).toBe('BW_IMDS_UNREACHABLE');
    expect(e.message).toMatch(/timed out after 50 ms/);
    f.setResponseDelay(0);
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
  });
});

describe('endpoints and IMDSv1', () => {
  it.skipIf(!hasIpv6)('works over the IPv6 loopback', async () => {
    const f = await fake({ host: '::1' });
    expect(f.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const { c } = client(f.url);
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
  });

  it('does not fall back to IMDSv1 unless allowed', async () => {
    const f = await fake({ tokenApi: false });
    const { c } = client(f.url);
    const e = await rejection(c.get(AmiPath));
    expect(e.code).toBe('BW_IMDS_BAD_RESPONSE');
    expect(e.message).toMatch(/answered 404 .*allowV1/);
    expect(f.requests.filter((r) => r.method === 'GET')).toEqual([]);
  });

  it('falls back to IMDSv1 when allowed and the token PUT is not supported', async () => {
    const f = await fake({ tokenApi: false });
    const { c, logs } = client(f.url, { allowV1: true });
    expect(await c.get(AmiPath)).toBe(Values[AmiPath]);
    expect(await c.get('/latest/meta-data/instance-id')).toBe('i-0123456789abcdef0');
    expect(summary(f)).toEqual([
      'PUT /latest/api/token 404',
      `GET ${AmiPath} 200`,
      'GET /latest/meta-data/instance-id 200',
    ]);
    expect(f.requests.some((r) => r.hadToken)).toBe(false);
    expect(logs.join('\n')).toMatch(/IMDSv1/);
  });

  it('still uses a token when v1 is allowed but IMDSv2 works', async () => {
    const f = await fake({ allowV1: true });
    const { c } = client(f.url, { allowV1: true });
    await c.get(AmiPath);
    expect(f.requests.filter((r) => r.method === 'GET').every((r) => r.hadToken)).toBe(true);
  });
});

describe('backoffDelayMs', () => {
  it('stays within half and all of a ceiling that doubles up to the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initial, max, r) => {
          const ceiling = Math.min(max, initial * 2 ** attempt);
          const d = backoffDelayMs(attempt, initial, max, () => r);
          expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(d).toBeLessThanOrEqual(Math.min(max, Math.ceil(ceiling)));
        },
      ),
    );
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, 100, 2000, () => 0.999999))).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000,
    ]);
  });
});
