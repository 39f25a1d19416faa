// bootwatch's own SLO file:
//
//   slos:
//     - name: boot-success
//       description: First boots of an AMI version become ready
//       sli: boot_success              # boot_success | time_to_ready | agent_coverage | replacement_rate | rollout_success
//       objective: 99.9                # percent
//       window: 30d
//       group_by: [ami_version]        # default; [] for agent_coverage, replacement_rate, rollout_success
//     - name: rollout-success            # M6: rollouts not rolled back / rollouts finished
//       sli: rollout_success
//       objective: 99                  # window: 90d by default for this SLI
//     - name: time-to-ready
//       sli: time_to_ready
//       threshold: 120s                # time_to_ready only: a TimeToReadyBuckets bound
//       objective: 95
//       window: 30d
//       alerting:                      # optional: the default tiers and z otherwise
//         tiers:
//           - { severity: page, long_window: 1h, short_window: 5m, budget_consumed: 2 }
//         sparse: { z: 3, evidence_window: 1d }
import type { YAMLMap } from 'yaml';
import { defaultGroupBy, defaultWindowMs, type SloDraft } from './draft.js';
import {
  DefaultSparseRule,
  GroupByLabels,
  SliKinds,
  type GroupByLabel,
  type SparseRule,
} from './model.js';
import { ScanPolicyKey } from './scan-policy.js';
import { DefaultTierSpecs, tierFor, type TierSpec } from './tiers.js';
import type { Field, SpecReader } from './yaml-reader.js';

const SloKeys = [
  'name',
  'description',
  'sli',
  'threshold',
  'objective',
  'window',
  'group_by',
  'alerting',
] as const;
const TierKeys = ['severity', 'long_window', 'short_window', 'budget_consumed'] as const;
export const DefaultWindow = '30d';

/** The SLOs of one `slos:` document. */
export function readBootwatchDocument(r: SpecReader, root: YAMLMap): SloDraft[] {
  r.onlyKeys(root, '', ['slos', ScanPolicyKey]);
  const list = r.required(root, 'slos', '');
  const seq = list ? r.seq(list) : null;
  if (!seq || !list) return [];
  if (seq.items.length === 0) r.problem(list.at, 'slos', 'expected at least one SLO, got none');
  const drafts: SloDraft[] = [];
  for (const item of r.items(seq, 'slos')) {
    const map = r.map(item);
    if (map) drafts.push(readSlo(r, map, item));
  }
  return drafts;
}

function readSlo(r: SpecReader, map: YAMLMap, self: Field): SloDraft {
  const path = self.path;
  const problemsBefore = r.problems.length;
  r.onlyKeys(map, path, SloKeys);
  const f = (key: string) => r.get(map, key, path);
  const need = (key: string) => r.required(map, key, path);

  const name = need('name');
  const sli = need('sli');
  const objective = need('objective');
  const threshold = f('threshold');
  const window = f('window');
  const groupBy = f('group_by');
  const alerting = f('alerting');
  const description = f('description');

  const sliKind = sli ? r.oneOf(sli, SliKinds) : null;
  const fallbackMs = defaultWindowMs(sliKind);
  const windowMs = window ? r.duration(window) : fallbackMs;
  const thresholdMs = threshold ? r.duration(threshold) : null;
  const { tierSpecs, tierAt, sparse, tiersAt, sparseAt } = readAlerting(r, alerting);

  const slo = {
    name: (name && r.text(name)) ?? '',
    description: (description && r.text(description)) ?? '',
    sli: sliKind ?? 'boot_success',
    thresholdSeconds: thresholdMs === null ? null : thresholdMs / 1000,
    objective: (objective && r.percent(objective)) ?? 0.999,
    windowMs: windowMs ?? fallbackMs,
    groupBy: groupBy ? readGroupBy(r, groupBy) : defaultGroupBy(sliKind ?? 'boot_success'),
    tiers: tierSpecs.map((t) => tierFor(t, windowMs ?? fallbackMs)),
    sparse,
    source: self.at,
  };
  return {
    slo,
    path,
    tierSpecs,
    tierAt,
    clean: r.problems.length === problemsBefore,
    at: {
      slo: self.at,
      name: name?.at,
      sli: sli?.at,
      threshold: threshold?.at,
      objective: objective?.at,
      window: window?.at,
      groupBy: groupBy?.at,
      tiers: tiersAt,
      sparse: sparseAt,
    },
  };
}

function readGroupBy(r: SpecReader, field: Field): GroupByLabel[] {
  const seq = r.seq(field);
  if (!seq) return [];
  return r
    .items(seq, field.path)
    .map((item) => r.oneOf(item, GroupByLabels))
    .filter((label): label is GroupByLabel => label !== null);
}

interface Alerting {
  tierSpecs: TierSpec[];
  tierAt?: string[];
  sparse: SparseRule;
  tiersAt?: string;
  sparseAt?: string;
}

function readAlerting(r: SpecReader, field: Field | undefined): Alerting {
  const defaults: Alerting = { tierSpecs: [...DefaultTierSpecs], sparse: { ...DefaultSparseRule } };
  const map = field ? r.map(field) : null;
  if (!field || !map) return defaults;
  r.onlyKeys(map, field.path, ['tiers', 'sparse']);
  const tiers = r.get(map, 'tiers', field.path);
  const sparse = r.get(map, 'sparse', field.path);
  const out: Alerting = { ...defaults, tiersAt: tiers?.at, sparseAt: sparse?.at };
  const seq = tiers ? r.seq(tiers) : null;
  if (tiers && seq) {
    const items = r.items(seq, tiers.path);
    out.tierSpecs = items.flatMap((item) => {
      const tier = readTier(r, item);
      return tier ? [tier] : [];
    });
    out.tierAt = items.map((item) => item.at);
    if (seq.items.length === 0)
      r.problem(tiers.at, tiers.path, 'expected at least one tier, got none');
  }
  const sparseMap = sparse ? r.map(sparse) : null;
  if (sparse && sparseMap) {
    r.onlyKeys(sparseMap, sparse.path, ['z', 'evidence_window']);
    const z = r.get(sparseMap, 'z', sparse.path);
    const value = z ? r.number(z) : null;
    if (z && value !== null && !(value > 0 && value <= 10)) {
      r.problem(z.at, z.path, `expected a number above 0 and at most 10 such as 3, got ${value}`);
    } else if (value !== null) {
      out.sparse.z = value;
    }
    const evidence = r.get(sparseMap, 'evidence_window', sparse.path);
    const evidenceMs = evidence ? r.duration(evidence) : null;
    if (evidenceMs !== null) out.sparse.evidenceWindowMs = evidenceMs;
  }
  return out;
}

function readTier(r: SpecReader, item: Field): TierSpec | null {
  const map = r.map(item);
  if (!map) return null;
  r.onlyKeys(map, item.path, TierKeys);
  const severity = r.required(map, 'severity', item.path);
  const long = r.required(map, 'long_window', item.path);
  const short = r.required(map, 'short_window', item.path);
  const budget = r.required(map, 'budget_consumed', item.path);
  const spec = {
    severity: severity ? r.oneOf(severity, ['page', 'ticket'] as const) : null,
    longWindowMs: long ? r.duration(long) : null,
    shortWindowMs: short ? r.duration(short) : null,
    budgetConsumed: budget ? r.percent(budget) : null,
  };
  if (
    spec.severity === null ||
    spec.longWindowMs === null ||
    spec.shortWindowMs === null ||
    spec.budgetConsumed === null
  ) {
    return null;
  }
  return spec as TierSpec;
}
