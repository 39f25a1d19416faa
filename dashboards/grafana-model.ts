// The part of Grafana's classic dashboard JSON model (schemaVersion 42, Grafana 12 and 13) that
// bootwatch's dashboards use, as types. Every panel and variable queries the data source chosen
// in the `datasource` variable: no data source uid is written into a dashboard, so one file works
// in every Grafana whatever its Prometheus is called.

/** The schema version Grafana 12.x/13.x writes (its migrations end at 42). */
export const SchemaVersion = 42;

export interface DataSourceRef {
  type: 'prometheus';
  uid: string;
}

/** Every query goes to the data source the `datasource` variable selects. */
export const PrometheusFromVariable: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface PromTarget {
  refId: string;
  datasource: DataSourceRef;
  expr: string;
  legendFormat: string;
  /** true: one value per series at the end of the time range (stat, bar gauge, table). */
  instant: boolean;
  range: boolean;
  format: 'time_series' | 'table' | 'heatmap';
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface Threshold {
  color: string;
  /** null: the base step (from minus infinity). */
  value: number | null;
}

export interface FieldDefaults {
  unit?: string;
  min?: number;
  max?: number;
  decimals?: number;
  thresholds?: { mode: 'absolute'; steps: Threshold[] };
  color?: { mode: string };
  custom?: Record<string, unknown>;
}

export interface Panel {
  id: number;
  type: 'timeseries' | 'stat' | 'bargauge' | 'table' | 'text' | 'heatmap' | 'row';
  title: string;
  description?: string;
  gridPos: GridPos;
  datasource?: DataSourceRef;
  targets?: PromTarget[];
  fieldConfig?: { defaults: FieldDefaults; overrides: unknown[] };
  options?: Record<string, unknown>;
  collapsed?: boolean;
  panels?: Panel[];
}

export interface VariableOption {
  text: string;
  value: string;
  selected: boolean;
}

export interface Variable {
  name: string;
  label: string;
  type: 'datasource' | 'query' | 'textbox';
  description?: string;
  hide: 0 | 1 | 2;
  query: string | { query: string; refId: string; qryType: number };
  /** Empty for the data source variable: Grafana picks the default data source. */
  current: { text?: string | string[]; value?: string | string[]; selected?: boolean };
  options: VariableOption[];
  datasource?: DataSourceRef;
  definition?: string;
  refresh?: 0 | 1 | 2;
  regex?: string;
  sort?: number;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

export interface DashboardLink {
  title: string;
  type: 'dashboards' | 'link';
  tags: string[];
  asDropdown: boolean;
  includeVars: boolean;
  keepTime: boolean;
  url?: string;
  targetBlank?: boolean;
  icon?: string;
  tooltip?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'browser';
  editable: boolean;
  graphTooltip: 0 | 1 | 2;
  fiscalYearStartMonth: 0;
  liveNow: false;
  refresh: string;
  time: { from: string; to: string };
  timepicker: Record<string, never>;
  schemaVersion: number;
  version: number;
  weekStart: '';
  annotations: { list: unknown[] };
  links: DashboardLink[];
  templating: { list: Variable[] };
  panels: Panel[];
}
