// A few fake IMDS servers lent to many instances: each lease serves one instance's identity, and
// a lease waits while every server is lent.
import { afterEach, describe, expect, it } from 'vitest';
import { ImdsPool } from '../../simulator/imds-pool.js';

const identity = (instanceId: string) => ({
  instanceId,
  imageId: 'ami-0123456789abcdef0',
  region: 'eu-west-1',
  availabilityZone: 'eu-west-1a',
  accountId: '123456789012',
  instanceType: 'm7i.large',
  pendingTime: '2026-11-01T00:00:00Z',
});

async function instanceIdAt(endpoint: string): Promise<string> {
  const token = await (
    await fetch(`${endpoint}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    })
  ).text();
  const res = await fetch(`${endpoint}/latest/meta-data/instance-id`, {
    headers: { 'x-aws-ec2-metadata-token': token },
  });
  return res.text();
}

let pool: ImdsPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('ImdsPool', () => {
  it('serves each lease its own identity, and queues leases beyond its size', async () => {
    pool = await ImdsPool.start(2);
    const order: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const a = pool.lease(identity('i-000000000000000a1'), async (url) => {
      order.push(`a ${await instanceIdAt(url)}`);
      await held;
      return url;
    });
    const b = pool.lease(identity('i-000000000000000b2'), async (url) => {
      order.push(`b ${await instanceIdAt(url)}`);
      await held;
      return url;
    });
    const c = pool.lease(identity('i-000000000000000c3'), async (url) => {
      order.push(`c ${await instanceIdAt(url)}`);
      return url;
    });
    // Both servers are lent until release(): c cannot run before that, however long this waits.
    for (let i = 0; i < 200 && order.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect([...order].sort()).toEqual(['a i-000000000000000a1', 'b i-000000000000000b2']);
    release();
    const [urlA, urlB, urlC] = await Promise.all([a, b, c]);
    expect(order).toContain('c i-000000000000000c3');
    expect(urlA).not.toBe(urlB);
    expect([urlA, urlB]).toContain(urlC);
  });

  it('a token from the previous lease does not work for the next one', async () => {
    pool = await ImdsPool.start(1);
    let token = '';
    await pool.lease(identity('i-000000000000000a1'), async (url) => {
      const res = await fetch(`${url}/latest/api/token`, {
        method: 'PUT',
        headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
      });
      token = await res.text();
    });
    const status = await pool.lease(identity('i-000000000000000b2'), async (url) => {
      const res = await fetch(`${url}/latest/meta-data/instance-id`, {
        headers: { 'x-aws-ec2-metadata-token': token },
      });
      return res.status;
    });
    expect(status).toBe(401);
  });
});
