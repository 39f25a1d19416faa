// The pager and the ticket system of the end-to-end test: an HTTP server on 127.0.0.1:0 that
// keeps every Alertmanager webhook notification it receives, by path.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Alertmanager's webhook payload (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
export interface Notification {
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  alerts: {
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    /** RFC 3339; when it stopped firing (a zero time while it fires). */
    endsAt: string;
  }[];
}

export interface Received extends Notification {
  path: string;
  atMs: number;
}

export interface Webhook {
  readonly url: string;
  readonly received: Received[];
  /** Resolves with the first notification matching, polling every 100 ms until the deadline. */
  waitFor(what: string, match: (n: Received) => boolean, timeoutMs: number): Promise<Received>;
  close(): Promise<void>;
}

export async function startWebhook(): Promise<Webhook> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      try {
        received.push({
          ...(JSON.parse(body) as Notification),
          path: req.url ?? '',
          atMs: Date.now(),
        });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async waitFor(what, match, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = received.find(match);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      const seen = received.map((n) => `${n.path} ${n.status} ${JSON.stringify(n.groupLabels)}`);
      throw new Error(`no ${what} within ${timeoutMs} ms; received:\n${seen.join('\n')}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
