// The groups of one grouping (the labels an SLO groups by), numbered 0, 1, 2... in the order they
// appear: the counts of a family are kept per number, in typed arrays, rather than per string key.
// Finding a row's number walks one map level per label, so that any label values (whatever
// characters they hold) give exact, distinct groups without building a key string per row.
import type { GroupByLabel } from '../../shared/slo/model.js';
import type { GroupKey } from '../model.js';

const GroupKeyField: Record<GroupByLabel, keyof GroupKey> = {
  ami_version: 'amiVersion',
  ami_id: 'amiId',
  region: 'region',
  asg: 'asg',
  instance_type: 'instanceType',
};

const collator = new Intl.Collator('en', { numeric: true });

/** A group's labels as one text, compared with compareGroupText: the order groups are listed in. */
export function groupText(labels: Record<string, string>): string {
  return Object.values(labels).join('\u0000');
}

/** Label order, versions numerically (2024.9 before 2024.10). */
export function compareGroupText(a: string, b: string): number {
  return collator.compare(a, b);
}

/** The group of a rollup row within a grouping: its label values, in the grouping's order. */
export function projectLabels(
  row: GroupKey,
  labels: readonly GroupByLabel[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of labels) out[label] = row[GroupKeyField[label]];
  return out;
}

/** One group: its number (where its counts are) and its labels. */
export interface NumberedGroup {
  id: number;
  labels: Record<string, string>;
}

/** Label values to group number, one map level per label. */
type GroupTree = Map<string, GroupTree | number>;

export class GroupIndex {
  private readonly fields: (keyof GroupKey)[];
  private readonly tree: GroupTree = new Map();
  private readonly labelsOf: Record<string, string>[] = [];
  private sorted: NumberedGroup[] | null = null;

  constructor(private readonly labels: readonly GroupByLabel[]) {
    this.fields = labels.map((l) => GroupKeyField[l]);
  }

  /** How many groups have been numbered. */
  get size(): number {
    return this.labelsOf.length;
  }

  /** The number of a row's group, numbering it when new. */
  idOf(row: GroupKey): number {
    const last = this.fields.length - 1;
    if (last < 0) return this.size > 0 ? 0 : this.add(row); // the one group of no labels
    let node = this.tree;
    for (let i = 0; i < last; i += 1) {
      const value = row[this.fields[i]!];
      let next = node.get(value) as GroupTree | undefined;
      if (!next) node.set(value, (next = new Map()));
      node = next;
    }
    const value = row[this.fields[last]!];
    let id = node.get(value) as number | undefined;
    if (id === undefined) node.set(value, (id = this.add(row)));
    return id;
  }

  /** The number of a row's group, or undefined when it has never been seen. */
  find(row: GroupKey): number | undefined {
    if (this.fields.length === 0) return this.size > 0 ? 0 : undefined;
    let node: GroupTree | number | undefined = this.tree;
    for (const field of this.fields) {
      if (typeof node !== 'object') return undefined;
      node = node.get(row[field]);
    }
    return typeof node === 'number' ? node : undefined;
  }

  /** Every group, in label order (versions numerically: 2024.9 before 2024.10). */
  groups(): readonly NumberedGroup[] {
    this.sorted ??= this.labelsOf
      .map((labels, id) => ({ group: { id, labels }, text: groupText(labels) }))
      .sort((a, b) => compareGroupText(a.text, b.text))
      .map((x) => x.group);
    return this.sorted;
  }

  private add(row: GroupKey): number {
    this.labelsOf.push(projectLabels(row, this.labels));
    this.sorted = null;
    return this.labelsOf.length - 1;
  }
}
