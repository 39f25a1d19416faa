// The rules of a scenario file that a schema cannot say: durations and their ranges, a p95 above
// the median, failure shares adding up to at most 1, traffic naming known versions and staying
// inside the scenario, a bounded number of launches. Converts to the Scenario model (durations in
// ms) while it checks, and collects every problem instead of stopping at the first.
import { show, type Problem } from '../agent/config-problems.js';
import { rfc3339Ms } from '../shared/rfc3339.js';
import { formatDuration, parseDurationMs } from '../shared/duration.js';
import {
  SimFailures,
  type Scenario,
  type ScenarioFile,
  type ScenarioImage,
  type ScenarioRollout,
  type Traffic,
} from './scenario-schema.js';

/** Bounds that keep a run to minutes: hundreds to thousands of instances, not millions. */
export const ScenarioLimits = {
  maxDurationMs: 90 * 86_400_000,
  maxLaunches: 50_000,
  minBootMs: 10_000,
  maxBootMs: 6 * 3_600_000,
  minDeadlineMs: 30_000,
  maxDeadlineMs: 6 * 3_600_000,
  maxReportDeadlineMs: 7 * 86_400_000,
} as const;

export const ScenarioDefaults = {
  seed: 1,
  deadline: '600s',
  reportDeadline: '15m',
  account: '123456789012',
  regions: { 'eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] } as Record<string, string[]>,
  instanceTypes: { 'm7i.large': 1 } as Record<string, number>,
  burstWithin: '5m',
} as const;

const RegionName = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

type Path = (string | number)[];

/** Checks a scenario the schema accepted; `problems` is empty when it is valid. */
export class ScenarioChecker {
  readonly problems: Problem[] = [];

  constructor(private readonly file: ScenarioFile) {}

  private fail(path: Path, reason: string): void {
    this.problems.push({ path, reason });
  }

  /** A duration in ms within [min, max]; NaN (and a problem) when it is not. */
  private duration(path: Path, text: string, min: number, max: number): number {
    const expected = `expected a duration from ${formatDuration(min)} to ${formatDuration(max)}`;
    let ms: number;
    try {
      ms = parseDurationMs(text);
    } catch {
      this.fail(path, `expected a duration such as 90s, 15m, 6h or 30d, got ${show(text)}`);
      return NaN;
    }
    if (ms < min || ms > max) this.fail(path, `${expected}, got ${show(text)}`);
    return ms;
  }

  scenario(source: string): Scenario {
    const f = this.file;
    const L = ScenarioLimits;
    const durationMs = this.duration(['duration'], f.duration, 60_000, L.maxDurationMs);
    let startMs: number | null = null;
    if (f.start !== undefined) {
      startMs = rfc3339Ms(f.start);
      if (startMs === null)
        this.fail(
          ['start'],
          `expected an RFC 3339 time such as 2026-11-01T00:00:00Z, got ${show(f.start)}`,
        );
    }
    const deadlineText = f.deadline ?? ScenarioDefaults.deadline;
    const deadlineMs = this.duration(['deadline'], deadlineText, L.minDeadlineMs, L.maxDeadlineMs);
    const reportText = f.report_deadline ?? ScenarioDefaults.reportDeadline;
    const reportDeadlineMs = this.duration(
      ['report_deadline'],
      reportText,
      60_000,
      L.maxReportDeadlineMs,
    );
    if (reportDeadlineMs <= deadlineMs) {
      const reason = `expected more than the agents' deadline (${deadlineText}): agents report up to their deadline, got ${show(reportText)}`;
      this.fail(['report_deadline'], reason);
    }
    const images = f.images.map((image, i) => this.image(image, i));
    this.uniqueVersions(images);
    const versions = new Set(images.map((i) => i.version));
    const traffic = f.traffic.map((t, i) => this.traffic(t, i, durationMs, versions, f.name));
    this.launchBudget(traffic);
    const rollouts = (f.rollouts ?? []).map((r, i) => this.rollout(r, i, durationMs, versions));
    return {
      name: f.name,
      description: f.description ?? '',
      source,
      seed: f.seed ?? ScenarioDefaults.seed,
      durationMs,
      startMs,
      deadlineMs,
      reportDeadlineMs,
      fleet: {
        account: f.fleet?.account ?? ScenarioDefaults.account,
        regions: this.regions(f.fleet?.regions ?? ScenarioDefaults.regions),
        instanceTypes: Object.entries(f.fleet?.instance_types ?? ScenarioDefaults.instanceTypes),
      },
      images,
      traffic,
      rollouts,
    };
  }

  private rollout(
    r: NonNullable<ScenarioFile['rollouts']>[number],
    i: number,
    durationMs: number,
    versions: ReadonlySet<string>,
  ): ScenarioRollout {
    const path: Path = ['rollouts', i];
    for (const field of ['candidate', 'baseline'] as const) {
      const version = r[field];
      if (version !== undefined && !versions.has(version)) {
        this.fail(
          [...path, field],
          `expected a version of the images (${[...versions].join(', ')}), got ${show(version)}`,
        );
      }
    }
    const policy: ScenarioRollout['policy'] = {};
    if (r.min_boots !== undefined) policy.minBootsPerSide = r.min_boots;
    if (r.min_duration !== undefined) {
      policy.minCanaryDurationMs = this.duration(
        [...path, 'min_duration'],
        r.min_duration,
        0,
        durationMs,
      );
    }
    return {
      name: r.name ?? `rollout-${i + 1}`,
      candidate: r.candidate,
      baseline: r.baseline ?? null,
      asg: r.asg,
      atMs: this.duration([...path, 'at'], r.at, 0, durationMs),
      policy,
    };
  }

  private regions(regions: Record<string, string[]>): [string, string[]][] {
    for (const [region, zones] of Object.entries(regions)) {
      const path = ['fleet', 'regions', region];
      if (!RegionName.test(region)) {
        this.fail(path, `expected a region name such as eu-west-1, got ${show(region)}`);
        continue;
      }
      zones.forEach((zone, i) => {
        if (!zone.startsWith(region) || !/^[a-z0-9-]+$/.test(zone)) {
          this.fail(
            [...path, i],
            `expected a zone of ${region} such as ${region}a, got ${show(zone)}`,
          );
        }
      });
    }
    return Object.entries(regions);
  }

  private image(image: ScenarioFile['images'][number], i: number): ScenarioImage {
    const L = ScenarioLimits;
    const path = ['images', i];
    const bt = image.boot_time;
    const median = this.duration(
      [...path, 'boot_time', 'median'],
      bt.median,
      L.minBootMs,
      L.maxBootMs,
    );
    const p95 = this.duration([...path, 'boot_time', 'p95'], bt.p95, L.minBootMs, L.maxBootMs);
    if (p95 < median) {
      this.fail(
        [...path, 'boot_time', 'p95'],
        `expected at least the median (${bt.median}), got ${show(bt.p95)}`,
      );
    }
    const failures = Object.fromEntries(
      SimFailures.map((f) => [f, image.failures?.[f] ?? 0]),
    ) as ScenarioImage['failures'];
    const sum = SimFailures.reduce((s, f) => s + failures[f], 0);
    if (sum > 1) {
      this.fail(
        [...path, 'failures'],
        `expected fractions that add up to at most 1, got ${Number(sum.toFixed(6))}`,
      );
    }
    return {
      version: image.version,
      name: image.name ?? `image-${image.version}`,
      bootTime: { medianSeconds: median / 1000, p95Seconds: p95 / 1000 },
      failures,
    };
  }

  private uniqueVersions(images: ScenarioImage[]): void {
    const first = new Map<string, number>();
    images.forEach((image, i) => {
      const seen = first.get(image.version);
      if (seen === undefined) first.set(image.version, i);
      else
        this.fail(
          ['images', i, 'version'],
          `expected a version no other image has, got ${show(image.version)} (also images[${seen}].version)`,
        );
    });
  }

  private traffic(
    t: ScenarioFile['traffic'][number],
    i: number,
    durationMs: number,
    versions: ReadonlySet<string>,
    scenarioName: string,
  ): Traffic {
    const path: Path = ['traffic', i];
    for (const version of Object.keys(t.versions)) {
      if (!versions.has(version)) {
        const known = [...versions].join(', ');
        this.fail(
          [...path, 'versions', version],
          `expected a version of the images (${known}), got ${show(version)}`,
        );
      }
    }
    const base = {
      name: t.name ?? `traffic-${i + 1}`,
      asg: t.asg ?? `${scenarioName}-asg`,
      versions: Object.entries(t.versions),
    };
    const span = (p: Path, text: string) => this.duration(p, text, 0, durationMs);
    if ((t.per_hour === undefined) === (t.burst === undefined)) {
      const got = t.per_hour === undefined ? 'neither' : 'both';
      this.fail(
        path,
        `expected either per_hour (steady launches) or burst (a scale-out), got ${got}`,
      );
    }
    if (t.burst !== undefined) {
      for (const field of ['from', 'to', 'per_hour'] as const) {
        if (t[field] !== undefined)
          this.fail([...path, field], 'a burst has at, burst and within; unexpected here');
      }
      if (t.at === undefined)
        this.fail([...path, 'at'], 'expected a duration from the start, such as 6h, got nothing');
      const atMs = t.at === undefined ? 0 : span([...path, 'at'], t.at);
      const withinText = t.within ?? ScenarioDefaults.burstWithin;
      const withinMs = this.duration([...path, 'within'], withinText, 0, durationMs);
      if (atMs + withinMs > durationMs) {
        this.fail(
          [...path, 'within'],
          `expected the burst to end within the scenario's duration (${this.file.duration}), got at ${t.at} + ${withinText}`,
        );
      }
      return { ...base, kind: 'burst', atMs, count: t.burst, withinMs };
    }
    for (const field of ['at', 'within'] as const) {
      if (t[field] !== undefined)
        this.fail([...path, field], 'steady traffic has from, to and per_hour; unexpected here');
    }
    const fromMs = t.from === undefined ? 0 : span([...path, 'from'], t.from);
    const toMs = t.to === undefined ? durationMs : span([...path, 'to'], t.to);
    if (toMs <= fromMs)
      this.fail([...path, 'to'], `expected later than from (${t.from ?? '0s'}), got ${show(t.to)}`);
    return { ...base, kind: 'steady', fromMs, toMs, perHour: t.per_hour ?? 0 };
  }

  private launchBudget(traffic: Traffic[]): void {
    const expected = traffic.reduce(
      (n, t) =>
        n +
        (t.kind === 'burst' ? t.count : (t.perHour * Math.max(0, t.toMs - t.fromMs)) / 3_600_000),
      0,
    );
    if (expected > ScenarioLimits.maxLaunches) {
      this.fail(
        ['traffic'],
        `expected at most ${ScenarioLimits.maxLaunches} launches in all, got about ${Math.round(expected)}`,
      );
    }
  }
}
