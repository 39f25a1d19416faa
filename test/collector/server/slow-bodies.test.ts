// Slow bodies over real loopback sockets. Before: a connection that sent its headers (with a valid
// agent token) and then trickled its body held an ingest slot for as long as it liked; with as
// many of them as max_in_flight, every other report got 503 while /healthz stayed 200. Now a slot
// is taken only once the body is in, and a request must arrive within body_timeout or it gets a
// 408 BW_REQUEST_TIMEOUT and its connection is closed.
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCollector, type RunningCollector } from '../../../collector/run-collector.js';
import { ManualClock } from '../../../shared/clock.js';
import { AgentToken, ManualScheduler, otlpJson, testBoot, testConfig } from './harness.js';

const MaxInFlight = 4;
const Tricklers = MaxInFlight * 2;
const BodyTimeoutMs = 2000;

interface Trickler {
  socket: Socket;
  /** What the collector answered, once the connection closed. */
  answer: Promise<{ text: string; afterMs: number }>;
}

/** Headers with a valid token and a 64 KiB Content-Length, then one byte every 100 ms. */
function trickle(url: URL): Trickler {
  const socket = connect(Number(url.port), url.hostname);
  const started = Date.now();
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    socket.write(
      `POST /v1/metrics HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${AgentToken}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n{',
    );
    timer = setInterval(() => socket.writable && socket.write(' '), 100);
  });
  socket.on('data', (d: Buffer) => (text += d.toString()));
  socket.on('error', () => undefined); // the collector closes it: expected
  const answer = new Promise<{ text: string; afterMs: number }>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text, afterMs: Date.now() - started });
    }),
  );
  return { socket, answer };
}

describe('slow bodies', () => {
  let running: RunningCollector;
  const tricklers: Trickler[] = [];

  beforeEach(async () => {
    running = await runCollector(
      testConfig({
        listen: '127.0.0.1:0',
        store: ':memory:',
        max_in_flight: MaxInFlight,
        body_timeout: `${BodyTimeoutMs}ms`,
      }),
      {
        handleSignals: false,
        clock: new ManualClock(Date.parse('2024-05-01T12:00:00Z')),
        scheduler: new ManualScheduler(),
      },
    );
  });
  afterEach(async () => {
    for (const t of tricklers.splice(0)) t.socket.destroy();
    await running.close();
  });

  it('do not starve other reports, and get a 408 once body_timeout has passed', async () => {
    const url = new URL(running.url);
    tricklers.push(...Array.from({ length: Tricklers }, () => trickle(url)));
    // Let every trickler get its headers in and start its body.
    await new Promise((r) => setTimeout(r, 300));

    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(`${running.url}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${AgentToken}` },
        body: otlpJson([testBoot({ instanceId: `i-${String(i).padStart(17, '0')}` })]),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    const answers = await Promise.all(tricklers.map((t) => t.answer));
    for (const { text, afterMs } of answers) {
      expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(text).toContain('"code":"BW_REQUEST_TIMEOUT"');
      // Not before body_timeout; after it, within Node's connection check (1 s) and slack for a
      // loaded machine.
      expect(afterMs).toBeGreaterThanOrEqual(BodyTimeoutMs - 50);
      expect(afterMs).toBeLessThan(BodyTimeoutMs + 8000);
    }
  });

  it('answers bytes that are not HTTP with a coded 400', async () => {
    const url = new URL(running.url);
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text).toContain('"code":"BW_HTTP_INVALID"');
  });
});
