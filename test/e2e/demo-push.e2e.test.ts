// `bootwatch demo` with BOOTWATCH_ALERTMANAGER_URL (issue 15, item 5): the demo runs hours of a
// simulated rollout in seconds, then serves live. A bad AMI pages and recovers in the simulated
// past, another is failing when the demo goes live. Between the demo and Debian's alertmanager
// (alerts/alertmanager.yml, timings shortened, receivers pointed at this test's webhook) a
// loopback proxy records every POST /api/v2/alerts: nothing from the past is pushed (no alert
// already over by Alertmanager's clock, except the end of one pushed as firing before), and the
// pager's first notification is the live page, seconds after going live.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostableAlert } from '../../collector/slo/alertmanager.js';
import type { RunningProcess } from './process.js';
import { alertmanagerTool, startAlertmanager } from './stack.js';
import { startWebhook, type Webhook } from './webhook.js';

const Scenario = `
name: push
description: a bad AMI in the past, another one now
seed: 11
duration: 6h
images:
  - version: '4.1'
    boot_time: { median: 50s, p95: 80s }
  - version: '4.2'
    boot_time: { median: 60s, p95: 90s }
    failures: { cloud_init_error: 0.5 }
  - version: '4.3'
    boot_time: { median: 60s, p95: 90s }
    failures: { cloud_init_error: 0.5 }
traffic:
  - { asg: web, to: 2h, per_hour: 8, versions: { '4.1': 1 } }
  - { asg: web, from: 2h, to: 3h, per_hour: 20, versions: { '4.2': 1 } }
  - { asg: web, from: 3h, to: 5h, per_hour: 8, versions: { '4.1': 1 } }
  - { asg: web, from: 5h, per_hour: 30, versions: { '4.3': 1 } }
`;

interface Post {
  atMs: number;
  alerts: PostableAlert[];
}

/** Records each POST /api/v2/alerts, then hands it to Alertmanager and answers what it answers. */
async function recordingProxy(alertmanagerUrl: string) {
  const posts: Post[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/alerts') {
        posts.push({ atMs: Date.now(), alerts: JSON.parse(body) as PostableAlert[] });
      }
      fetch(`${alertmanagerUrl}${req.url ?? '/'}`, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        ...(req.method === 'POST' ? { body } : {}),
      }).then(
        async (r) => res.writeHead(r.status).end(await r.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(alertmanagerTool.skip)('the demo pushes to Alertmanager', () => {
  const work = mkdtempSync(join(tmpdir(), 'bw-e2e-push-'));
  let webhook: Webhook | undefined;
  let am: RunningProcess | undefined;
  let proxy: Awaited<ReturnType<typeof recordingProxy>> | undefined;
  let demo: ChildProcess | undefined;

  afterAll(async () => {
    // Only the child this test started, by its pid, if it is still there after a failure.
    if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
    await proxy?.close();
    await am?.stop();
    await webhook?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('pushes what fires once live, never the resolved past', { timeout: 150_000 }, async () => {
    webhook = await startWebhook();
    am = await startAlertmanager(work, webhook.url);
    proxy = await recordingProxy(am.url);
    writeFileSync(join(work, 'push.yaml'), Scenario);

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'cli/run.ts', 'demo', '--scenario', join(work, 'push.yaml')],
      {
        env: {
          ...process.env,
          BOOTWATCH_LISTEN: '127.0.0.1:0',
          BOOTWATCH_STORE: join(work, 'data', 'bootwatch.db'),
          BOOTWATCH_ALERTMANAGER_URL: proxy.url,
          BOOTWATCH_TOKEN: '',
          BOOTWATCH_ADMIN_TOKEN: '',
          BOOTWATCH_CONFIG: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    demo = child;
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const until = Date.now() + 100_000;
    while (!out.includes('Serving until Ctrl-C.')) {
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
      if (Date.now() > until) throw new Error(`the demo did not go live:\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const liveMs = Date.now();
    const page = await webhook.waitFor(
      'the live page',
      (n) => n.path === '/bootwatch/page' && n.status === 'firing',
      20_000,
    );
    // (Its clean shutdown is test/simulator/demo.test.ts's.)
    child.kill('SIGINT');
    await exited;

    // The pager's first notification is the live page of the AMI failing now, within seconds;
    // no notification, to either receiver, brought resolved alerts of the past.
    expect(webhook.received.filter((n) => n.path === '/bootwatch/page')[0]).toBe(page);
    expect(webhook.received.filter((n) => n.status === 'resolved')).toEqual([]);
    expect(page.groupLabels.ami_version).toBe('4.3');
    expect(page.atMs - liveMs).toBeLessThan(15_000);

    // Pushed: alerts firing by Alertmanager's clock, and ends of alerts pushed as firing before.
    const posts = proxy.posts;
    const pushedFiring = new Set<string>();
    const history: string[] = [];
    for (const post of posts) {
      for (const a of post.alerts) {
        const key = JSON.stringify(a.labels);
        if (Date.parse(a.endsAt) > post.atMs) pushedFiring.add(key);
        else if (!pushedFiring.has(key)) history.push(`${a.labels.ami_version} ${a.labels.window}`);
      }
    }
    const alerts = posts.flatMap((p) => p.alerts);
    console.log(
      `${posts.length} pushes, ${alerts.length} alerts: ` +
        [...pushedFiring].map((k) => Object.values(JSON.parse(k) as object).join(' ')).join('; '),
    );
    expect(history).toEqual([]);
    expect(alerts.length).toBeGreaterThan(0);
    // 4.2 paged in the simulated past and recovered: its pages never reach Alertmanager.
    expect(
      alerts.filter((a) => a.labels.ami_version === '4.2' && a.labels.severity === 'page'),
    ).toEqual([]);
  });
});
