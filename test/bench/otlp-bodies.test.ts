// The bench's load: every body a distinct boot, with an instance id of EC2's form, that the
// collector's own decoder reads back.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bootBodies, heartbeatBodies } from '../../bench/otlp-bodies.js';
import { extractBoots } from '../../collector/otlp/boot-extract.js';
import { decodeMetricsRequest } from '../../collector/otlp/decode.js';

describe('bench bodies', () => {
  it.each(['json', 'protobuf'] as const)(
    'are distinct %s boots with unordered EC2 ids',
    async (kind) => {
      const bodies = await bootBodies(kind);
      const read = (n: number) =>
        extractBoots(decodeMetricsRequest(bodies.body(n), bodies.contentType), {
          receivedAtMs: Date.now(),
          known: {},
        }).boots;
      const seen = new Set<string>();
      const instances: string[] = [];
      for (const n of [1, 2, 3, 1 << 30, 2 ** 52 + 1]) {
        const [boot, ...rest] = read(n);
        expect(rest).toEqual([]);
        expect(boot!.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
        seen.add(`${boot!.instanceId}/${boot!.bootId}`);
        instances.push(boot!.instanceId);
      }
      expect(seen.size).toBe(5);
      // Consecutive boots are not neighbours in an index.
      expect([...instances].sort()).not.toEqual(instances);
    },
  );

  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(['json', 'protobuf'] as const)(
    '%s boots launched two minutes before their body was made, as a fleet launches',
    async (kind) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const bodies = await bootBodies(kind);
      const launchedAt = (atMs: number) => {
        vi.setSystemTime(atMs);
        const body = bodies.body(7);
        const [boot] = extractBoots(decodeMetricsRequest(body, bodies.contentType), {
          receivedAtMs: atMs,
          known: {},
        }).boots;
        return boot!.launchedAt;
      };
      const t = Date.parse('2026-12-03T10:00:00.000Z');
      expect(launchedAt(t)).toBe('2026-12-03T09:58:00.000Z');
      expect(launchedAt(t + 61_234)).toBe('2026-12-03T09:59:01.234Z');
    },
  );

  it.each(['json', 'protobuf'] as const)(
    'are %s heartbeats of each instance of a fleet in turn',
    async (kind) => {
      const bodies = await heartbeatBodies(kind, 3);
      const read = (n: number) => {
        const out = extractBoots(decodeMetricsRequest(bodies.body(n), bodies.contentType), {
          receivedAtMs: Date.now(),
          known: {},
        });
        expect(out.boots).toEqual([]);
        expect(out.heartbeats).toHaveLength(1);
        return out.heartbeats[0]!.instanceId;
      };
      const ids = [0, 1, 2, 3, 4].map(read);
      expect(new Set(ids.slice(0, 3)).size).toBe(3);
      expect(ids.slice(3)).toEqual(ids.slice(0, 2));
      expect(ids[0]).toMatch(/^i-[0-9a-f]{17}$/);
    },
  );
});
