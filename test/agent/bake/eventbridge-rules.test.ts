// The EventBridge rules of docs/bake.md against the collector's event parsers: every event the
// collector acts on matches a documented pattern, and every documented detail-type is one it
// acts on, so that the guide and the code cannot drift apart. Real events from
// test/fixtures/real/eventbridge (see SOURCES.md) and the CloudTrail RunInstances sample.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventBatch } from '../../../collector/events/eventbridge.js';

const root = new URL('../../../', import.meta.url).pathname;
const guide = readFileSync(join(root, 'docs/bake.md'), 'utf8');

type Pattern = Record<string, unknown>;

/** The JSON event patterns of the guide: the json blocks with a `source`. */
const patterns: Pattern[] = [...guide.matchAll(/```json\n([\s\S]*?)```/g)]
  .map((m) => JSON.parse(m[1]!) as Pattern)
  .filter((p) => 'source' in p && 'detail-type' in p);

/** EventBridge's matching for the pattern shapes the guide uses: lists of exact values, nested. */
function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const got = event[key];
    if (Array.isArray(want)) return want.includes(got);
    return (
      typeof got === 'object' &&
      got !== null &&
      matches(want as Pattern, got as Record<string, unknown>)
    );
  });
}

const fixtures = [
  ...readdirSync(join(root, 'test/fixtures/real/eventbridge')).map((f) =>
    join(root, 'test/fixtures/real/eventbridge', f),
  ),
  join(root, 'test/fixtures/cloudtrail-runinstances.json'),
].map((file) => ({
  file,
  event: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>,
}));

describe('the EventBridge rules of docs/bake.md', () => {
  it('are three patterns: EC2 state changes, Auto Scaling activities, RunInstances calls', () => {
    expect(patterns.map((p) => (p.source as string[])[0])).toEqual([
      'aws.ec2',
      'aws.autoscaling',
      'aws.ec2',
    ]);
  });

  it('let through every real event the collector acts on', () => {
    for (const { file, event } of fixtures) {
      // kind 'other': parsed and stored nowhere (a terminate lifecycle hook, a failed terminate)
      const used = parseEventBatch(event).events.some((e) => e.kind !== 'other');
      if (!used) continue;
      expect(
        patterns.some((p) => matches(p, event)),
        file,
      ).toBe(true);
    }
  });

  it('name only events the collector acts on', () => {
    const base = { id: 'e1', time: '2026-11-03T10:00:00Z', region: 'eu-west-1', account: '1' };
    for (const p of patterns) {
      for (const detailType of p['detail-type'] as string[]) {
        const example = fixtures.find(({ event }) => event['detail-type'] === detailType);
        const event = example?.event ?? {
          ...base,
          source: (p.source as string[])[0],
          'detail-type': detailType,
          detail: {},
        };
        if (!matches(p, event)) continue;
        expect(parseEventBatch(event).ignored, detailType).toBe(0);
      }
    }
    // the state-change pattern lists exactly the states the collector acts on
    const states = ((patterns[0]!.detail as Pattern).state as string[]).map(
      (state) =>
        parseEventBatch({
          ...base,
          source: 'aws.ec2',
          'detail-type': 'EC2 Instance State-change Notification',
          detail: { 'instance-id': 'i-1', state },
        }).events[0]!.kind,
    );
    expect(states).not.toContain('other');
  });
});
