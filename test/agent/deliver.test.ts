import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverPending, type DeliveryOptions } from '../../agent/deliver.js';
import { bootResourceAttributes } from '../../agent/otlp-report.js';
import { Spool, type SpoolEntry } from '../../agent/spool.js';
import type { BootReport } from '../../shared/boot-report.js';
import { ManualClock, systemClock } from '../../shared/clock.js';
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
    log: (m, level) => logs.push(level ? `${level}: ${m}` : m),
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
    expect(out).toEqual({ sent: ['b1d2c3'], left: [], rejected: [] });
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
    expect(out).toEqual({ sent: [], left: ['b1d2c3'], rejected: [] });
    expect(spool.hasPending('b1d2c3')).toBe(true);
    expect(spool.isSent('b1d2c3')).toBe(false);
  });

  it('keeps a report the collector answered 400 in rejected/ and does not send it again', async () => {
    const spool = new Spool(dir);
    spool.put(entry());
    collector.script({
      status: 400,
      body: '{"code":3,"message":"metric bootwatch.boot.outcome: not a sum"}',
    });
    const out = await deliverPending(spool, options());
    expect(out).toEqual({ sent: [], left: [], rejected: ['b1d2c3'] });
    expect(collector.requests.length).toBe(1);
    expect(spool.isRejected('b1d2c3')).toBe(true);
    const kept = JSON.parse(readFileSync(join(dir, 'rejected', 'b1d2c3.json'), 'utf8'));
    expect(kept.rejection).toMatchObject({
      status: 400,
      message: 'HTTP 400 Bad Request: metric bootwatch.boot.outcome: not a sum',
    });
    expect(await deliverPending(spool, options())).toEqual({ sent: [], left: [], rejected: [] });
    expect(collector.requests.length).toBe(1);
  });

  describe('a 2xx with a partial success', () => {
    // What the collector answers when it cannot key a boot (the report of an agent without IMDS).
    const rejectAll = JSON.stringify({
      partialSuccess: {
        rejectedDataPoints: '4',
        errorMessage:
          'boot report of instance i-0abc (boot b1d2c3) rejected (4 data points): host.image.id ' +
          '(amiId): Expected required property; cloud.region (region): Expected required property',
      },
    });

    it('that rejected the boot: the report is kept in rejected/, logged as an error, not acknowledged', async () => {
      const spool = new Spool(dir);
      spool.put(entry());
      collector.script({ status: 200, body: rejectAll });
      const out = await deliverPending(spool, options());
      expect(out).toEqual({ sent: [], left: [], rejected: ['b1d2c3'] });
      expect(spool.isSent('b1d2c3')).toBe(false);
      expect(spool.hasPending('b1d2c3')).toBe(false);
      const kept = JSON.parse(readFileSync(join(dir, 'rejected', 'b1d2c3.json'), 'utf8'));
      expect(kept.report).toEqual(report);
      expect(kept.identity).toEqual(entry().identity);
      expect(kept.rejection).toMatchObject({ rejectedDataPoints: 4, sentDataPoints: 4 });
      expect(kept.rejection.message).toContain('host.image.id (amiId): Expected required property');
      const errors = logs.filter((l) => l.startsWith('error: BW_REPORT_REJECTED'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('4 of 4 data points rejected: boot report of instance i-0abc');
      expect(logs.some((l) => l.includes('reported ('))).toBe(false);

      // Never resent blindly: the next run has nothing to send.
      expect(await deliverPending(spool, options())).toEqual({ sent: [], left: [], rejected: [] });
      expect(collector.requests).toHaveLength(1);
    });

    it('that dropped only a phase point: the boot is kept, with a warning', async () => {
      const spool = new Spool(dir);
      spool.put(entry());
      const answer = {
        rejectedDataPoints: 1,
        errorMessage: 'phase probe_wait: 1e308 s is out of range',
      };
      collector.script({ status: 200, body: JSON.stringify({ partialSuccess: answer }) });
      const out = await deliverPending(spool, options());
      expect(out).toEqual({ sent: ['b1d2c3'], left: [], rejected: [] });
      expect(spool.isSent('b1d2c3')).toBe(true);
      expect(existsSync(join(dir, 'rejected'))).toBe(false);
      expect(logs.some((l) => l.startsWith('warning:') && l.includes('1e308 s'))).toBe(true);
    });
  });

  it('retries a refused connection in-process until the collector comes up, 60 s later', async () => {
    // The clock is simulated: each backoff sleep moves it, and the real loopback collector starts
    // listening once 60 simulated seconds have passed. Until then its port refuses connections.
    await collector.close();
    collector = await startFakeCollector({ deferListen: true });
    const clock = new ManualClock(Date.parse('2026-11-25T12:00:00Z'));
    const start = clock.now();
    const sleeps: number[] = [];
    const spool = new Spool(dir);
    spool.put(entry());
    const out = await deliverPending(
      spool,
      options({
        collectorUrl: collector.url,
        // Short enough that the exporter gives up on its own retries at once: this loop retries.
        timeoutMs: 300,
        initialBackoffMs: 1000,
        maxBackoffMs: 60_000,
        budgetMs: 3_600_000,
        maxAttempts: 0,
        clock,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
          if (clock.now() - start >= 60_000) await collector.listen();
        },
      }),
    );
    expect(out).toEqual({ sent: ['b1d2c3'], left: [], rejected: [] });
    expect(collector.requests).toHaveLength(1);
    expect(clock.now() - start).toBeGreaterThanOrEqual(60_000);
    expect(sleeps.length).toBeGreaterThan(3);
    expect(logs.filter((l) => l.includes('ECONNREFUSED')).length).toBe(sleeps.length);
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
