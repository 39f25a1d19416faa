// Schema version 2: counters as one row per series (counter-storage.ts) instead of schema 1's
// one row per Prometheus sample with its labels as canonical JSON. The migration converts the
// rows in SQL, inside its transaction, so that counters continue across the upgrade. Frozen once
// released, like the rest of the schema: it describes schema 1's rows as they were written, not
// as the families are today.
/** b0..b16, as schema version 2 has them. */
const BucketColumns = Array.from({ length: 17 }, (_, i) => `b${i}`);

interface V1Family {
  name: string;
  labels: readonly string[];
  /** Histograms: the `le` values schema 1 wrote (String(bound), then +Inf). */
  les?: readonly string[];
}

const launch = ['ami_id', 'ami_version', 'region', 'asg', 'instance_type'];
const boot = [...launch, 'outcome', 'reason'];
const les = (bounds: number[]) => [...bounds.map(String), '+Inf'];

const V1Families: readonly V1Family[] = [
  { name: 'bootwatch_boots_total', labels: boot },
  { name: 'bootwatch_boots_retracted_total', labels: boot },
  { name: 'bootwatch_launches_total', labels: launch },
  {
    name: 'bootwatch_time_to_ready_seconds',
    labels: ['ami_version', 'region', 'asg', 'outcome'],
    les: les([5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1800]),
  },
  {
    name: 'bootwatch_boot_phase_seconds',
    labels: ['ami_version', 'phase'],
    les: les([0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600]),
  },
];

interface Dialect {
  /** A label of schema 1's JSON `labels` column, as text. */
  label(name: string): string;
  /** The character with this code. */
  chr(code: number): string;
  integer: string;
  real: string;
  tableSuffix: string;
}

export const SqliteDialect: Dialect = {
  label: (name) => `json_extract(labels, '$.${name}')`,
  chr: (code) => `char(${code})`,
  integer: 'INTEGER',
  real: 'REAL',
  tableSuffix: ' STRICT, WITHOUT ROWID',
};

export const PgDialect: Dialect = {
  label: (name) => `(labels::jsonb ->> '${name}')`,
  chr: (code) => `chr(${code})`,
  integer: 'bigint',
  real: 'double precision',
  tableSuffix: '',
};

/** seriesKey() in SQL: values escaped (`\` -> `\\`, U+001F -> `\_`) and joined by U+001F. */
function keyExpr(d: Dialect, labels: readonly string[]): string {
  const bs = d.chr(92);
  const sep = d.chr(31);
  return labels
    .map(
      (l) =>
        `replace(replace(COALESCE(${d.label(l)}, ''), ${bs}, ${bs} || ${bs}), ${sep}, ${bs} || '_')`,
    )
    .join(` || ${sep} || `);
}

function convert(d: Dialect, f: V1Family): string {
  const key = keyExpr(d, f.labels);
  if (f.les === undefined) {
    return `INSERT INTO counter_series (replica_id, family, labels, value)
      SELECT replica_id, '${f.name}', k, sum(value)
      FROM (SELECT replica_id, value, ${key} AS k FROM counters WHERE name = '${f.name}') s
      GROUP BY replica_id, k`;
  }
  const buckets = f.les.map(
    (le) =>
      `CAST(sum(CASE WHEN name = '${f.name}_bucket' AND le = '${le}' THEN value ELSE 0 END) AS ${d.integer})`,
  );
  return `INSERT INTO counter_series (replica_id, family, labels, value, ${BucketColumns.slice(0, f.les.length).join(', ')})
    SELECT replica_id, '${f.name}', k, sum(CASE WHEN name = '${f.name}_sum' THEN value ELSE 0 END),
      ${buckets.join(', ')}
    FROM (SELECT replica_id, name, value, ${key} AS k, ${d.label('le')} AS le FROM counters
          WHERE name IN ('${f.name}_bucket', '${f.name}_sum')) s
    GROUP BY replica_id, k`;
}

/** The statements of schema version 2 in one dialect. */
export function counterSeriesMigration(d: Dialect): string[] {
  const text = d === PgDialect ? 'text COLLATE "C"' : 'TEXT';
  const buckets = BucketColumns.map((c) => `${c} ${d.integer} NOT NULL DEFAULT 0`);
  return [
    `CREATE TABLE counter_series (
      replica_id ${text} NOT NULL,
      family ${text} NOT NULL,
      labels ${text} NOT NULL,
      value ${d.real} NOT NULL CHECK (value >= 0),
      ${buckets.join(', ')},
      PRIMARY KEY (replica_id, family, labels)
    )${d.tableSuffix}`,
    ...V1Families.map((f) => convert(d, f)),
    'DROP TABLE counters',
    'ALTER TABLE counter_series RENAME TO counters',
  ];
}
