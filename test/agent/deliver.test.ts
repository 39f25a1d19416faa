import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverPending, type DeliveryOptions } from '../../agent/deliver.js';
import { bootResourceAttributes } from '../../agent/otlp-report.js';
import { Spool, type SpoolEntry } from '../../agent/spool.js';
import type { BootReport } from '../../shared/boot-report.js';
import { systemClock } from '../../shared/clock.js';
import { IdentityHeader } from '../../shared/conventions.js';
import {
  metricPoints,
  resourceAttributes,
  startFakeCollector,
  type FakeCollector,
} from '../support/fake-collector.js';

const report: BootReport = {
  instanceId: 'i-0abc',
  bootId: 'b1d2c3',
  firstBoot: true,
  launchedAt: '2026-11-25T12:00:00.000Z',
  amiId: 'ami-1',
  amiVersion: '1.2.3',
  region: 'eu-west-1',
  instanceType: 't3.small',
  outcome: 'success',
  reason: 'none',
  timeToReadySeconds: 64.5,
  phases: { provisioning: 21, probe_wait: 12 },
};

function entry(r: BootReport = report): SpoolEntry {
  return {
    version: 1,
    report: r,
    resource: bootResourceAttributes(r, { 'os.type': 'linux' }, '0.1.0'),
    identity: {
      documentB64: Buffer.from('{"instanceId":"i-0abc"}').toString('base64'),
      signatureB64: 'c2ln',
      pkcs7B64: null,
    },
    createdAtMs: 1,
  };
}

let dir: string;
let collector: FakeCollector;
const logs: string[] = [];

function options(over: Partial<DeliveryOptions> = {}): DeliveryOptions {
  return {
    collectorUrl: collector.url,
    token: 'tkn',
    timeoutMs: 2000,
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    budgetMs: 10_000,
    clock: systemClock,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    log: (m) => logs.push(m),
    ...over,
  };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-spool-'));
  collector = await startFakeCollector();
  logs.length = 0;
});
afterEach(async () => {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deliverPending', () => {
  it('sends the OTLP JSON boot with its identity headers and removes it only after the 2xx', async () => {
    const spool = new Spool(dir);
    spool.put(entry());
    expect(spool.hasPending('b1d2c3')).toBe(true);
    const out = await deliverPending(spool, options());
    expect(out).toEqual({ sent: ['b1d2c3'], left: [] });
    expect(spool.hasPending('b1d2c3')).toBe(false);
    expect(spool.isSent('b1d2c3')).toBe(true);

    const [req] = collector.requests;
    expect(req!.path).toBe('/v1/metrics');
    expect(req!.headers.authorization).toBe('Bearer tkn');
    expect(req!.headers[IdentityHeader.document]).toBe(entry().identity!.documentB64);
    expect(req!.headers[IdentityHeader.signature]).toBe('c2ln');
    const attrs = resourceAttributes(req!.body);
    expect(attrs).toMatchObject({
      'host.id': 'i-0abc',
      'bootwatch.boot.id': 'b1d2c3',
      'bootwatch.boot.first': true,
      'host.image.version': '1.2.3',
      'os.type': 'linux',
      'service.name': 'bootwatch-agent',
    });
    const [ttr] = metricPoints(req!.body, 'bootwatch.boot.time_to_ready');
    expect(ttr).toMatchObject({ sum: 64.5 });
    expect(String(ttr!.count)).toBe('1');
    const phases = metricPoints(req!.body, 'bootwatch.boot.phase.duration');
    expect(phases.map((p) => p.sum).sort()).toEqual([12, 21]);
  });

  it('keeps the report while the collector answers 503 and sends it when it is back', async () => {
    const spool = new Spool(dir);
    spool.put(entry());
    // The exporter retries 503 itself a few times; answer 503 more often than that.
    collector.script(...Array.from({ length: 8 }, () => ({ status: 503, retryAfter: 0 })));
    const out = await deliverPending(spool, options());
    expect(out.sent).toEqual(['b1d2c3']);
    expect(collector.requests.length).toBe(9);
  });

  it('leaves the report in the spool when the collector is down for the whole budget', async () => {
    const spool = new Spool(dir);
    spool.put(entry());
    await collector.close();
    const out = await deliverPending(spool, options({ budgetMs: 300, timeoutMs: 200 }));
    expect(out).toEqual({ sent: [], left: ['b1d2c3'] });
    expect(spool.hasPending('b1d2c3')).toBe(true);
    expect(spool.isSent('b1d2c3')).toBe(false);
  });

  it('does not retry a 400 in the same run and keeps the report', async () => {
    const spool = new Spool(dir);
    spool.put(entry());
    collector.script({ status: 400 });
    const out = await deliverPending(spool, options());
    expect(out.left).toEqual(['b1d2c3']);
    expect(collector.requests.length).toBe(1);
  });

  it('moves an unreadable spool file aside instead of losing or resending garbage', async () => {
    const spool = new Spool(dir);
    spool.put(entry());
    writeFileSync(join(dir, 'pending', 'broken.json'), '{"version":1,');
    const out = await deliverPending(spool, options());
    expect(out.sent).toEqual(['b1d2c3']);
    expect(readdirSync(join(dir, 'pending'))).toEqual(['broken.json.bad']);
    expect(logs.some((l) => l.includes('broken.json'))).toBe(true);
  });
});

describe('Spool', () => {
  it('tells a first boot from a reboot of the same instance', () => {
    const spool = new Spool(dir);
    expect(spool.markSeen('i-1', 'boot-a')).toBe(true);
    expect(spool.markSeen('i-1', 'boot-a')).toBe(true); // a restarted agent, same boot
    expect(spool.markSeen('i-1', 'boot-b')).toBe(false);
    expect(spool.markSeen('i-2', 'boot-c')).toBe(true);
  });

  it('refuses ids that would escape the spool folder', () => {
    const spool = new Spool(dir);
    expect(() => spool.markSeen('../etc', 'x')).toThrow(/cannot be used as a file name/);
  });
});
