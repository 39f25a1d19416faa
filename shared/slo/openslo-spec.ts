// OpenSLO v1 `kind: SLO` documents (https://github.com/OpenSLO/OpenSLO, v1), mapped onto the model.
// bootwatch computes its SLIs itself, so the ratio metric's sources name a bootwatch SLI instead of
// a query:
//
//   apiVersion: openslo/v1
//   kind: SLO
//   metadata: { name: time-to-ready }
//   spec:
//     description: First boots ready within 2 minutes
//     service: ec2-images
//     indicator:
//       metadata: { name: ready-within-120s }
//       spec:
//         ratioMetric:
//           counter: true
//           good:  { metricSource: { type: bootwatch, spec: { sli: time_to_ready, threshold: 120s, group_by: [ami_version] } } }
//           total: { metricSource: { type: bootwatch, spec: { sli: time_to_ready } } }
//     timeWindow: [{ duration: 30d, isRolling: true }]
//     budgetingMethod: Occurrences
//     objectives: [{ target: 0.95 }]          # or targetPercent: 95
//
// `timeWindow` is optional (OpenSLO v1): without it the window is 30 days, rolling, and a note
// says so. `indicatorRef` may name a `kind: SLI` document of the same file; `alertPolicies` map
// onto alerting tiers (openslo-alerts.ts), the default tiers otherwise. What OpenSLO defines and
// bootwatch cannot honour (thresholdMetric, Timeslices budgeting, calendar windows, raw ratios)
// is refused as unsupported, on its line.
import type { YAMLMap } from 'yaml';
import { defaultGroupBy, type SloDraft } from './draft.js';
import { DefaultSparseRule, GroupByLabels, SliKinds, type GroupByLabel } from './model.js';
import { readAlertPolicies } from './openslo-alerts.js';
import { resolveRef, type OpenSloObjects } from './openslo-objects.js';
import { DefaultTierSpecs, tierFor } from './tiers.js';
import { shown, type SpecReader } from './yaml-reader.js';

export const OpenSloSourceType = 'bootwatch';

const DefaultWindowMs = 30 * 86_400_000;
const Timeslices =
  'is not supported: bootwatch budgets Occurrences (good boots over all boots), it does not slice time';
const ThresholdMetric =
  'is not supported: bootwatch SLIs are ratios of boots it counts itself (ratioMetric, metricSource type bootwatch)';

/** The SLO of one OpenSLO `kind: SLO` document (collectOpenSloDocument has checked its kind). */
export function readOpenSloDocument(
  r: SpecReader,
  root: YAMLMap,
  objects: OpenSloObjects,
): SloDraft | null {
  const problemsBefore = r.problems.length;
  r.onlyKeys(root, '', ['apiVersion', 'kind', 'metadata', 'spec']);
  const metadataField = r.required(root, 'metadata', '');
  const metadata = metadataField ? r.map(metadataField) : null;
  const nameField = metadata ? r.required(metadata, 'name', 'metadata') : undefined;
  const name = nameField ? r.text(nameField) : null;
  const path = `SLO ${name ?? '(unnamed)'}`;
  const specField = r.required(root, 'spec', '');
  const spec = specField ? r.map(specField) : null;
  if (!spec) return null;
  r.onlyKeys(spec, 'spec', [
    'description',
    'service',
    'indicator',
    'indicatorRef',
    'timeWindow',
    'budgetingMethod',
    'objectives',
    'alertPolicies',
  ]);

  const method = r.required(spec, 'budgetingMethod', 'spec');
  if (method && method.value === 'Timeslices') {
    r.problem(method.at, method.path, `Timeslices budgeting ${Timeslices}`);
  } else if (method && method.value !== 'Occurrences') {
    r.problem(
      method.at,
      method.path,
      `expected Occurrences (bootwatch counts boots: good over total events), got ${shown(method.value)}`,
    );
  }
  const window = readTimeWindow(r, spec);
  const objective = readObjective(r, spec);
  const source = readIndicator(r, spec, objects);
  const description = r.get(spec, 'description', 'spec');
  const windowMs = window?.ms ?? DefaultWindowMs;
  const policies = readAlertPolicies(r, spec, objects, windowMs);
  const tierSpecs = policies?.tierSpecs ?? [...DefaultTierSpecs];

  return {
    path,
    tierSpecs,
    tierAt: policies?.tierAt,
    tierPaths: policies?.tierPaths,
    clean: r.problems.length === problemsBefore,
    slo: {
      name: name ?? '',
      description: (description && r.text(description)) ?? '',
      sli: source?.sli ?? 'boot_success',
      thresholdSeconds: source?.thresholdMs == null ? null : source.thresholdMs / 1000,
      objective: objective?.value ?? 0.999,
      windowMs,
      groupBy: source?.groupBy ?? defaultGroupBy(source?.sli ?? 'boot_success'),
      tiers: tierSpecs.map((t) => tierFor(t, windowMs)),
      sparse: { ...DefaultSparseRule },
      source: r.at(root),
    },
    at: {
      slo: r.at(root),
      name: nameField?.at,
      sli: source?.at,
      threshold: source?.thresholdAt,
      objective: objective?.at,
      window: window?.at,
      groupBy: source?.groupByAt,
      tiers: policies?.at,
    },
  };
}

function readTimeWindow(r: SpecReader, spec: YAMLMap): { ms: number; at: string } | null {
  const field = r.get(spec, 'timeWindow', 'spec');
  if (!field) {
    r.note(r.at(spec), 'spec.timeWindow', 'absent: the SLO window is 30d, rolling (the default)');
    return null;
  }
  const seq = r.seq(field);
  if (!seq) return null;
  const items = r.items(seq, field.path);
  if (items.length !== 1) {
    r.problem(field.at, field.path, `expected exactly one rolling window, got ${items.length}`);
    return null;
  }
  const item = items[0]!;
  const map = r.map(item);
  if (!map) return null;
  r.onlyKeys(map, item.path, ['duration', 'isRolling', 'calendar']);
  const rolling = r.get(map, 'isRolling', item.path);
  const calendar = r.get(map, 'calendar', item.path);
  if (calendar) {
    r.problem(
      calendar.at,
      calendar.path,
      'calendar-aligned windows are not supported: bootwatch evaluates rolling windows (isRolling: true)',
    );
  } else if (rolling?.value !== true) {
    r.problem(
      rolling?.at ?? item.at,
      `${item.path}.isRolling`,
      `expected true (bootwatch evaluates rolling windows), got ${shown(rolling?.value)}`,
    );
  }
  const duration = r.required(map, 'duration', item.path);
  const ms = duration ? r.duration(duration) : null;
  return ms === null || !duration ? null : { ms, at: duration.at };
}

function readObjective(r: SpecReader, spec: YAMLMap): { value: number; at: string } | null {
  const field = r.required(spec, 'objectives', 'spec');
  const seq = field ? r.seq(field) : null;
  if (!field || !seq) return null;
  const items = r.items(seq, field.path);
  if (items.length !== 1) {
    r.problem(field.at, field.path, `expected exactly one objective, got ${items.length}`);
    return null;
  }
  const item = items[0]!;
  const map = r.map(item);
  if (!map) return null;
  r.onlyKeys(map, item.path, [
    'displayName',
    'op',
    'value',
    'target',
    'targetPercent',
    'timeSliceTarget',
    'timeSliceWindow',
  ]);
  r.refuse(map, item.path, {
    op: `applies to a thresholdMetric, which ${ThresholdMetric}`,
    value: `applies to a thresholdMetric, which ${ThresholdMetric}`,
    timeSliceTarget: `(Timeslices budgeting) ${Timeslices}`,
    timeSliceWindow: `(Timeslices budgeting) ${Timeslices}`,
  });
  const target = r.get(map, 'target', item.path);
  const percent = r.get(map, 'targetPercent', item.path);
  if (target && typeof target.value === 'number' && target.value > 0 && target.value < 1) {
    return { value: Math.round(target.value * 1e12) / 1e12, at: target.at };
  }
  if (target) {
    r.problem(
      target.at,
      target.path,
      `expected a ratio between 0 and 1 such as 0.999, got ${shown(target.value)}`,
    );
    return null;
  }
  if (percent) {
    const value = r.percent(percent);
    return value === null ? null : { value, at: percent.at };
  }
  r.problem(item.at, item.path, 'expected target (0.999) or targetPercent (99.9)');
  return null;
}

interface Source {
  sli: (typeof SliKinds)[number];
  at: string;
  thresholdMs: number | null;
  thresholdAt?: string;
  groupBy?: GroupByLabel[];
  groupByAt?: string;
}

function readIndicator(r: SpecReader, spec: YAMLMap, objects: OpenSloObjects): Source | null {
  const ref = r.get(spec, 'indicatorRef', 'spec');
  let sliSpec: YAMLMap | null = null;
  let sliPath = 'spec.indicator.spec';
  if (ref) {
    const found = resolveRef(r, ref, 'SLI', objects);
    if (!found) return null;
    sliSpec = found.map;
    sliPath = `SLI ${String(ref.value)}.spec`;
  } else {
    const indicator = r.required(spec, 'indicator', 'spec');
    const map = indicator ? r.map(indicator) : null;
    const inner = map ? r.required(map, 'spec', 'spec.indicator') : undefined;
    sliSpec = inner ? r.map(inner) : null;
  }
  if (!sliSpec) return null;
  const thresholdMetric = r.get(sliSpec, 'thresholdMetric', sliPath);
  if (thresholdMetric) {
    r.problem(thresholdMetric.at, thresholdMetric.path, ThresholdMetric);
    return null;
  }
  const ratio = r.required(sliSpec, 'ratioMetric', sliPath);
  const ratioMap = ratio ? r.map(ratio) : null;
  if (!ratioMap || !ratio) {
    return null;
  }
  r.onlyKeys(ratioMap, ratio.path, ['counter', 'good', 'bad', 'total', 'raw', 'rawType']);
  const raw =
    'is not supported: bootwatch divides good boots by all boots itself, it reads no precomputed ratio';
  r.refuse(ratioMap, ratio.path, { raw, rawType: raw });
  if (r.get(ratioMap, 'bad', ratio.path)) {
    r.problem(
      ratio.at,
      `${ratio.path}.bad`,
      'bootwatch reads good over total; write good instead of bad',
    );
  }
  const good = metricSourceSpec(r, ratioMap, 'good', ratio.path);
  const total = metricSourceSpec(r, ratioMap, 'total', ratio.path);
  if (!good || !total) return null;

  r.onlyKeys(good.map, good.path, ['sli', 'threshold', 'group_by']);
  r.onlyKeys(total.map, total.path, ['sli']);
  const sliField = r.required(good.map, 'sli', good.path);
  const sli = sliField ? r.oneOf(sliField, SliKinds) : null;
  const totalSli = r.required(total.map, 'sli', total.path);
  if (sli && totalSli && totalSli.value !== sli) {
    r.problem(
      totalSli.at,
      totalSli.path,
      `expected the same SLI as good (${sli}), got ${shown(totalSli.value)}`,
    );
  }
  if (!sli || !sliField) return null;
  const threshold = r.get(good.map, 'threshold', good.path);
  const groupBy = r.get(good.map, 'group_by', good.path);
  const groupSeq = groupBy ? r.seq(groupBy) : null;
  return {
    sli,
    at: sliField.at,
    thresholdMs: threshold ? r.duration(threshold) : null,
    thresholdAt: threshold?.at,
    groupBy:
      groupBy && groupSeq
        ? r
            .items(groupSeq, groupBy.path)
            .map((item) => r.oneOf(item, GroupByLabels))
            .filter((l): l is GroupByLabel => l !== null)
        : undefined,
    groupByAt: groupBy?.at,
  };
}

/** `<side>.metricSource.spec` of a ratio metric, checking `type: bootwatch`. */
function metricSourceSpec(
  r: SpecReader,
  ratio: YAMLMap,
  side: 'good' | 'total',
  parentPath: string,
): { map: YAMLMap; path: string } | null {
  const sideField = r.required(ratio, side, parentPath);
  const sideMap = sideField ? r.map(sideField) : null;
  if (!sideMap || !sideField) return null;
  const source = r.required(sideMap, 'metricSource', sideField.path);
  const sourceMap = source ? r.map(source) : null;
  if (!sourceMap || !source) return null;
  const type = r.required(sourceMap, 'type', source.path);
  if (type && type.value !== OpenSloSourceType) {
    r.problem(
      type.at,
      type.path,
      `expected ${OpenSloSourceType} (an SLI bootwatch computes), got ${shown(type.value)}`,
    );
  }
  const spec = r.required(sourceMap, 'spec', source.path);
  const map = spec ? r.map(spec) : null;
  return map && spec ? { map, path: spec.path } : null;
}
