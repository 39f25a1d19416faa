// Detected rollouts: the rules on worked cases, then properties over random launch histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectRollouts, type LaunchSighting } from '../../../collector/rollouts/detect.js';

const H = 3_600_000;
const Window = 24 * H;

function launches(asg: string, ...steps: [hour: number, version: string][]): LaunchSighting[] {
  return steps.map(([hour, amiVersion], i) => ({
    instanceId: `i-${asg}-${i}`,
    asg,
    region: 'eu-west-1',
    amiVersion,
    atMs: hour * H,
  }));
}

const detect = (s: LaunchSighting[], nowHour: number) =>
  detectRollouts(s, { switchBackWindowMs: Window, nowMs: nowHour * H });

describe('detectRollouts', () => {
  it('the worked example: a rollback within the window, then a promote when it passes', () => {
    const s = launches(
      'web',
      [0, 'v1'],
      [10, 'v2'],
      [11, 'v2'],
      [15, 'v1'],
      [44, 'v3'],
      [45, 'v3'],
    );
    expect(detect(s, 100)).toEqual([
      {
        asg: 'web',
        region: 'eu-west-1',
        candidate: 'v2',
        baseline: 'v1',
        startedAtMs: 10 * H,
        state: 'rolled_back',
        finishedAtMs: 15 * H,
        note: 'the group launched v1 again, 5h after v2 started',
      },
      {
        asg: 'web',
        region: 'eu-west-1',
        candidate: 'v3',
        baseline: 'v1',
        startedAtMs: 44 * H,
        state: 'promoted',
        finishedAtMs: 68 * H,
        note: 'no switch back to v1 within 1d',
      },
    ]);
  });

  it('a group with one version has no rollout; the first version is not a rollout', () => {
    expect(detect(launches('web', [0, 'v1'], [1, 'v1'], [2, 'v1']), 10)).toEqual([]);
  });

  it('stays a canary until the window passes, whatever the order of the input', () => {
    const s = launches('web', [0, 'v1'], [5, 'v2'], [6, 'v2']);
    const reversed = [...s].reverse();
    expect(detect(reversed, 28)).toMatchObject([{ state: 'canary', finishedAtMs: null }]);
    expect(detect(reversed, 29)).toMatchObject([{ state: 'promoted', finishedAtMs: 29 * H }]);
  });

  it('a switch back after the window is a new rollout of the old version', () => {
    const s = launches('web', [0, 'v1'], [1, 'v2'], [30, 'v1']);
    expect(detect(s, 31)).toMatchObject([
      { candidate: 'v2', baseline: 'v1', state: 'promoted', finishedAtMs: 25 * H },
      { candidate: 'v1', baseline: 'v2', state: 'canary' },
    ]);
  });

  it('a third version within the window aborts the rollout and starts its own', () => {
    const s = launches('web', [0, 'v1'], [1, 'v2'], [3, 'v3'], [4, 'v2']);
    expect(detect(s, 5)).toMatchObject([
      { candidate: 'v2', baseline: 'v1', state: 'aborted', finishedAtMs: 3 * H },
      { candidate: 'v3', baseline: 'v2', state: 'rolled_back', finishedAtMs: 4 * H },
    ]);
  });

  it('unknown versions are neither a switch nor a group’s first version', () => {
    const s = launches('web', [0, 'unknown'], [1, 'v1'], [2, 'unknown'], [3, 'v1']);
    expect(detect(s, 5)).toEqual([]);
  });

  it('keeps groups apart: the same name in two regions, two groups in one region', () => {
    const a = launches('web', [0, 'v1'], [1, 'v2']);
    const b = launches('web', [0, 'v2'], [1, 'v1']).map((l) => ({ ...l, region: 'us-east-1' }));
    const c = launches('api', [0, 'v1'], [2, 'v2']);
    const found = detect([...a, ...b, ...c], 3);
    expect(found.map((r) => `${r.region}/${r.asg}:${r.baseline}->${r.candidate}`)).toEqual([
      'eu-west-1/api:v1->v2',
      'eu-west-1/web:v1->v2',
      'us-east-1/web:v2->v1',
    ]);
  });

  it('refuses a window that is not a positive duration', () => {
    expect(() => detectRollouts([], { switchBackWindowMs: 0, nowMs: 0 })).toThrow(RangeError);
  });
});

describe('detectRollouts, properties', () => {
  // Distinct launch times, so that "the next launch" is plain to state.
  const history = fc.uniqueArray(
    fc.record({
      asg: fc.constantFrom('a', 'b'),
      region: fc.constantFrom('r1', 'r2'),
      amiVersion: fc.constantFrom('v1', 'v2', 'v3', 'unknown'),
      atMs: fc.integer({ min: 0, max: 72 * H }),
    }),
    { maxLength: 60, selector: (r) => r.atMs },
  );
  const sightings = history.map((rows) => rows.map((r, i) => ({ ...r, instanceId: `i-${i}` })));
  const options = { switchBackWindowMs: Window, nowMs: 100 * H };

  it('does not depend on the order of the launches', () => {
    fc.assert(
      fc.property(sightings, fc.integer(), (s, seed) => {
        const shuffled = [...s].sort(
          (x, y) => (hash(x.instanceId, seed) - hash(y.instanceId, seed)) | 0,
        );
        expect(detectRollouts(shuffled, options)).toEqual(detectRollouts(s, options));
      }),
      { seed: 12 },
    );
  });

  it('counts one rollout per switch that is not a switch back, and finishes each at most once', () => {
    fc.assert(
      fc.property(sightings, (s) => {
        const found = detectRollouts(s, options);
        const switches = countSwitches(s);
        const rollbacks = found.filter((r) => r.state === 'rolled_back').length;
        expect(found.length + rollbacks).toBe(switches);
        for (const r of found) {
          expect(r.candidate).not.toBe(r.baseline);
          // Every launch is before nowMs + window: all of them are decided.
          expect(r.state).not.toBe('canary');
          expect(r.finishedAtMs).toBeGreaterThanOrEqual(r.startedAtMs);
          expect(r.finishedAtMs! - r.startedAtMs).toBeLessThanOrEqual(Window);
        }
      }),
      { seed: 13 },
    );
  });

  it('a rollout is rolled back exactly when its group next launches its baseline within the window', () => {
    fc.assert(
      fc.property(sightings, (s) => {
        for (const r of detectRollouts(s, options)) {
          const next = s
            .filter((l) => l.asg === r.asg && l.region === r.region && l.amiVersion !== 'unknown')
            .filter((l) => l.atMs > r.startedAtMs && l.amiVersion !== r.candidate)
            .sort((x, y) => x.atMs - y.atMs || (x.instanceId < y.instanceId ? -1 : 1))[0];
          const back =
            next !== undefined &&
            next.amiVersion === r.baseline &&
            next.atMs < r.startedAtMs + Window;
          expect(r.state === 'rolled_back').toBe(back);
        }
      }),
      { seed: 14 },
    );
  });
});

/** Version changes in each group's time-ordered known-version launches. */
function countSwitches(s: LaunchSighting[]): number {
  const groups = new Map<string, LaunchSighting[]>();
  for (const l of s) {
    if (l.amiVersion === 'unknown') continue;
    const key = `${l.region}/${l.asg}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  let n = 0;
  for (const list of groups.values()) {
    list.sort((x, y) => x.atMs - y.atMs || (x.instanceId < y.instanceId ? -1 : 1));
    for (let i = 1; i < list.length; i++) if (list[i]!.amiVersion !== list[i - 1]!.amiVersion) n++;
  }
  return n;
}

function hash(text: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x9e3779b1);
  return h;
}
