// Where a simulation's timeline lies: it ends when the run ends, so that a remote collector never
// sees the future and an in-process one can go live without time jumping back.
import { describe, expect, it } from 'vitest';
import { maxLagMs, TickMs, timelineFor } from '../../simulator/run-simulation.js';
import { parseScenario } from '../../simulator/scenario.js';

const scenario = (extra = '') =>
  parseScenario(
    `
name: t
duration: 1d
${extra}
images:
  - version: '1'
    boot_time: { median: 60s, p95: 90s }
traffic:
  - per_hour: 1
    versions: { '1': 1 }
`,
    't.yaml',
  );

const Now = Date.parse('2026-11-25T12:00:00.500Z');
const Horizon = 86_400_000 + 900_000 + TickMs;

describe('timelineFor', () => {
  it('as fast as possible: the timeline ends now, whole seconds', () => {
    const t = timelineFor(scenario(), Infinity, Now);
    expect(t.startMs).toBe(Date.parse('2026-11-25T12:00:00Z') - Horizon);
    expect(t.endMs - t.startMs).toBe(Horizon);
  });

  it('at a speed: it ends when the run will, horizon / speed from now', () => {
    // 87,360 s of timeline at 1440x take 60.67 s: from 12:00:00.5 that is 12:01:01 (whole seconds).
    const t = timelineFor(scenario(), 1440, Now);
    expect(t.endMs).toBe(Date.parse('2026-11-25T12:01:01Z'));
  });

  it('a scenario with a start keeps it', () => {
    const t = timelineFor(scenario('start: 2026-11-01T00:00:00Z'), Infinity, Now);
    expect(t.startMs).toBe(Date.parse('2026-11-01T00:00:00Z'));
  });
});

describe('maxLagMs', () => {
  it('is half the gap between the agents’ deadline and the report deadline, at most 5 min', () => {
    expect(maxLagMs({ deadlineMs: 600_000, reportDeadlineMs: 900_000 })).toBe(150_000);
    expect(maxLagMs({ deadlineMs: 600_000, reportDeadlineMs: 3_600_000 })).toBe(300_000);
  });
});
