// The scan routes through the collector, on both engines: the real reports stored with their hand
// counts and shown per version (history, /api/v1/images, /metrics), the gate's answers, and every
// refused report (neither format, truncated, unregistered AMI, another AMI, no token, 100 MB)
// answered with its 4xx and nothing stored.
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../collector/store/store.js';
import { ManualClock } from '../../../shared/clock.js';
import { describeStores } from '../../support/stores.js';
import { adminAuth, collectorPerTest } from '../server/harness.js';

const Now = Date.parse('2021-08-27T12:00:00Z');
const Ami = 'ami-0a1b2c3d4e5f60001';
const OldAmi = 'ami-0a1b2c3d4e5f60000';
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/real/scans/${name}`, import.meta.url));

/** The vm report as `trivy vm ami:<id>` writes its artifact name. */
const vmReportOf = (amiId: string) =>
  Buffer.from(
    fixture('trivy-amazonlinux2-gp2-x86-vm.json')
      .toString()
      .replace('"disk.img"', `"ami:${amiId}"`),
  );

describeStores('scan routes', (harness) => {
  let store: Store;
  let app: FastifyInstance;
  const clock = new ManualClock(Now);

  collectorPerTest(harness, clock, (s, a) => {
    store = s;
    app = a;
  });
  beforeEach(async () => {
    for (const [amiId, version, at] of [
      [OldAmi, '2021.08.1', Now - 86_400_000],
      [Ami, '2021.08.2', Now - 3_600_000],
    ] as const) {
      clock.set(at);
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/images',
        headers: adminAuth,
        payload: { amiId, version, region: 'eu-west-1' },
      });
      expect(r.statusCode).toBe(201);
    }
    clock.set(Now);
  });

  const submit = (body: Buffer | string, amiId = Ami, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/images/${amiId}/scans`,
      headers: { ...adminAuth, 'content-type': 'application/json', ...headers },
      payload: body,
    });
  const scanCount = async () => (await store.scans.latest()).length;

  it('stores each real report with its counts, the report time or else the time it arrived', async () => {
    const grype = await submit(fixture('grype-image.json'));
    expect(grype.statusCode).toBe(201);
    expect(grype.json().scan).toMatchObject({
      amiId: Ami,
      amiVersion: '2021.08.2',
      scanner: 'grype',
      scannedAt: '2021-08-27T12:00:00.000Z',
      timeFromReport: false,
      summary: {
        findings: 2,
        distinct: 2,
        bySeverity: { critical: { total: 1, fixable: 0 }, low: { total: 1, fixable: 1 } },
        criticalIds: ['CVE-1999-0002'],
      },
    });
    const trivy = await submit(gzipSync(fixture('trivy-centos-7.json')), Ami, {
      'content-encoding': 'gzip',
    });
    expect(trivy.statusCode).toBe(201);
    expect(trivy.json().scan).toMatchObject({
      scanner: 'trivy',
      scannerVersion: 'dev',
      scannedAt: '2021-08-25T12:20:30.000Z',
      timeFromReport: true,
      summary: { bySeverity: { low: { total: 2, fixable: 1 }, medium: { total: 1, fixable: 1 } } },
    });
    // The Grype scan has the later time: it is the version's latest.
    const history = await app.inject({ url: '/api/v1/images/2021.08.2/scans', headers: adminAuth });
    expect(history.json().scans.map((s: { scanner: string }) => s.scanner)).toEqual([
      'grype',
      'trivy',
    ]);
    const images = await app.inject({ url: '/api/v1/images', headers: adminAuth });
    const versions = images.json().versions as {
      amiVersion: string;
      latestScan: { scanner: string } | null;
    }[];
    expect(versions.map((v) => [v.amiVersion, v.latestScan?.scanner ?? null])).toEqual([
      ['2021.08.2', 'grype'],
      ['2021.08.1', null],
    ]);
  });

  it('exposes the latest scan of each version on /metrics, and the version it replaces', async () => {
    expect((await submit(vmReportOf(Ami))).statusCode).toBe(201);
    expect((await submit(fixture('grype-image.json'), OldAmi)).statusCode).toBe(201);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    const line = (name: string, labels: string) =>
      new RegExp(`^${name}\\{${labels}\\} ([0-9.e+]+)$`, 'm').exec(metrics)?.[1];
    const vuln = 'bootwatch_image_vulnerabilities';
    expect(line(vuln, 'ami_version="2021.08.2",severity="medium",fixable="true"')).toBe('1');
    expect(line(vuln, 'ami_version="2021.08.2",severity="medium",fixable="false"')).toBe('0');
    expect(line(vuln, 'ami_version="2021.08.1",severity="critical",fixable="false"')).toBe('1');
    expect(line(vuln, 'ami_version="2021.08.1",severity="low",fixable="true"')).toBe('1');
    expect(line('bootwatch_image_scan_timestamp_seconds', 'ami_version="2021.08.2"')).toBe(
      String(Date.UTC(2021, 7, 25, 12, 20, 30) / 1000),
    );
    expect(
      line('bootwatch_image_replaces_info', 'ami_version="2021.08.2",replaced_version="2021.08.1"'),
    ).toBe('1');
  });

  it('answers the gate: pass, fail, no_scan, and 404 for a version nobody registered', async () => {
    const gate = async (version: string) => {
      const r = await app.inject({
        url: `/api/v1/images/${version}/scan-gate`,
        headers: adminAuth,
      });
      return { status: r.statusCode, body: r.json() };
    };
    expect((await gate('2021.08.2')).body).toMatchObject({
      amiVersion: '2021.08.2',
      decision: 'no_scan',
      scan: null,
    });
    await submit(fixture('grype-image.json'), OldAmi); // a critical, not fixable: passes the default
    expect((await gate('2021.08.1')).body).toMatchObject({
      decision: 'pass',
      checks: [{ severity: 'critical', count: 0, max: 0, ok: true }],
    });
    const critical = fixture('trivy-amazon-2.json')
      .toString()
      .replace('"Severity": "MEDIUM"', '"Severity": "CRITICAL"');
    await submit(critical);
    // trivy-amazon-2 was made 2021-08-25, 2 days before Now: current under the 7d max_age.
    expect((await gate('2021.08.2')).body).toMatchObject({
      decision: 'fail',
      reasons: ['1 fixable critical vulnerability, more than the 0 allowed'],
    });
    clock.set(Now + 6 * 86_400_000);
    expect((await gate('2021.08.2')).body.decision).toBe('no_scan');
    expect(await gate('2099.1')).toMatchObject({
      status: 404,
      body: { error: { code: 'BW_NOT_FOUND' } },
    });
    const history = await app.inject({ url: '/api/v1/images/2099.1/scans', headers: adminAuth });
    expect(history.statusCode).toBe(404);
  });

  it('refuses what is not a report of a registered AMI, storing nothing', async () => {
    const cases: [
      string,
      Promise<{ statusCode: number; json: () => { error: { code: string; message: string } } }>,
    ][] = [
      ['neither format', submit('{"bomFormat": "CycloneDX", "components": []}')],
      ['truncated', submit(fixture('trivy-centos-7.json').subarray(0, 4096))],
      ['empty', submit('')],
      ['unregistered AMI', submit(fixture('trivy-centos-7.json'), 'ami-0ffffffffffffffff')],
      ['malformed AMI id', submit(fixture('trivy-centos-7.json'), 'ami-xyz')],
      ['another AMI', submit(vmReportOf(OldAmi))],
      [
        'no token',
        app.inject({
          method: 'POST',
          url: `/api/v1/images/${Ami}/scans`,
          headers: { 'content-type': 'application/json' },
          payload: fixture('grype-image.json'),
        }),
      ],
      ['not JSON', submit('SchemaVersion: 2', Ami, { 'content-type': 'text/yaml' })],
      ['bad gzip', submit(Buffer.from('not gzip'), Ami, { 'content-encoding': 'gzip' })],
    ];
    const answers = [];
    for (const [what, pending] of cases) {
      const r = await pending;
      answers.push([what, r.statusCode, r.json().error.code]);
    }
    expect(answers).toEqual([
      ['neither format', 422, 'BW_SCAN_FORMAT'],
      ['truncated', 400, 'BW_SCAN_JSON'],
      ['empty', 400, 'BW_SCAN_JSON'],
      ['unregistered AMI', 404, 'BW_SCAN_IMAGE_UNKNOWN'],
      ['malformed AMI id', 400, 'BW_BODY_INVALID'],
      ['another AMI', 422, 'BW_SCAN_MISMATCH'],
      ['no token', 401, 'BW_AUTH_ADMIN'],
      ['not JSON', 415, 'BW_UNSUPPORTED_MEDIA_TYPE'],
      ['bad gzip', 400, 'BW_BAD_ENCODING'],
    ]);
    expect((await submit(vmReportOf(OldAmi))).json().error.message).toBe(
      `the report scanned ${OldAmi} (ami:${OldAmi}), not ${Ami}; send it to /api/v1/images/${OldAmi}/scans`,
    );
    expect(await scanCount()).toBe(0);
  });

  describe('a 100 MB body, over the network', () => {
    let url = '';
    beforeEach(async () => {
      url = await app.listen({ host: '127.0.0.1', port: 0 });
    });

    /**
     * Posts `total` bytes in 1 MiB chunks: the start of a Trivy report, then whitespace (valid
     * JSON between tokens, and quick to read: the limit, not the parsing, is what is tested).
     */
    const post = (total: number, declareLength: boolean) =>
      new Promise<{ status: number; body: { error: { code: string; message: string } } }>(
        (resolve, reject) => {
          const head = '{"SchemaVersion":2,"Results":[{"Vulnerabilities":[';
          const chunk = Buffer.alloc(1_048_576, ' ');
          const req = httpRequest(`${url}/api/v1/images/${Ami}/scans`, {
            method: 'POST',
            headers: {
              ...adminAuth,
              'content-type': 'application/json',
              ...(declareLength ? { 'content-length': String(total) } : {}),
            },
          });
          let sent = 0;
          let answered = false;
          req.on('response', (res) => {
            answered = true;
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => {
              // The answer came before the upload ended: nothing more to send.
              req.destroy();
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
            });
          });
          // A reset before the answer (the server closing on an unread upload) fails the test.
          req.on('error', reject);
          const pump = () => {
            while (!answered && sent < total) {
              const piece = sent === 0 ? Buffer.concat([Buffer.from(head), chunk]) : chunk;
              const part = piece.subarray(0, Math.min(piece.length, total - sent));
              sent += part.length;
              if (!req.write(part)) return void req.once('drain', pump);
            }
            if (!answered) req.end();
          };
          pump();
        },
      );

    it.each([
      ['declared', true],
      ['chunked', false],
    ])('is a 413, %s, and stores nothing', { timeout: 60_000 }, async (_what, declared) => {
      const r = await post(100 * 1024 * 1024, declared);
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('BW_BODY_TOO_LARGE');
      expect(r.body.error.message).toMatch(/over the limit of 67108864 bytes \(scan_body_limit\)/);
      expect(await scanCount()).toBe(0);
    });
  });
});
