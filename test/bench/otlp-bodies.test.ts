// The bench's load: every body a distinct boot, with an instance id of EC2's form, that the
// collector's own decoder reads back.
import { describe, expect, it } from 'vitest';
import { bootBodies } from '../../bench/otlp-bodies.js';
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
});
