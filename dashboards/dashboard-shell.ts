// What every bootwatch dashboard shares: schema version, tags, links to its siblings (keeping the
// time range and the variables), Grafana's built-in annotations, and the filter variables.
import { SchemaVersion, type Dashboard, type Variable } from './grafana-model.js';
import { layout, type PanelDraft } from './panels.js';
import { filterVariables } from './variables.js';

export const DashboardTag = 'bootwatch';

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** Default time range, e.g. `now-7d`. */
  from: string;
  panels: PanelDraft[];
  /** Variables after the data source and the filters. */
  extraVariables?: Variable[];
  /** Annotation queries after Grafana's built-in one (rollout-panels.ts). */
  extraAnnotations?: unknown[];
}

const GrafanaAnnotations = {
  builtIn: 1,
  datasource: { type: 'grafana', uid: '-- Grafana --' },
  enable: true,
  hide: true,
  iconColor: 'rgba(0, 211, 255, 1)',
  name: 'Annotations & Alerts',
  type: 'dashboard',
};

export function dashboard(spec: DashboardSpec): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: [DashboardTag],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: '1m',
    time: { from: spec.from, to: 'now' },
    timepicker: {},
    schemaVersion: SchemaVersion,
    version: 1,
    weekStart: '',
    annotations: { list: [GrafanaAnnotations, ...(spec.extraAnnotations ?? [])] },
    links: [
      {
        title: 'bootwatch dashboards',
        type: 'dashboards',
        tags: [DashboardTag],
        asDropdown: false,
        includeVars: true,
        keepTime: true,
      },
    ],
    templating: { list: [...filterVariables(), ...(spec.extraVariables ?? [])] },
    panels: layout(spec.panels),
  };
}
