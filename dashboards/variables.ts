// Dashboard variables: the Prometheus data source (chosen, never hard-coded), AMI version, region
// and Auto Scaling group (multi-value, "All" = `.*`, each narrowing the next), and for the debug
// dashboard the collector's URL and an instance id for the boot timeline link.
import { PromLabel, PromMetric } from '../shared/conventions.js';
import { PrometheusFromVariable, type Variable } from './grafana-model.js';

/** The label filters every raw-metric panel applies (all three on bootwatch_boots_total). */
export const FilterLabels = [PromLabel.amiVersion, PromLabel.region, PromLabel.asg] as const;
export type FilterLabel = (typeof FilterLabels)[number];

/** `ami_version=~"$ami_version"` for each label given. */
export function filterMatchers(labels: readonly string[] = FilterLabels): string[] {
  return labels.map((l) => `${l}=~"$${l}"`);
}

export function datasourceVariable(): Variable {
  return {
    name: 'datasource',
    label: 'Prometheus',
    description: 'The Prometheus that scrapes the bootwatch collector and loads alerts/generated/',
    type: 'datasource',
    hide: 0,
    query: 'prometheus',
    regex: '',
    refresh: 1,
    current: {},
    options: [],
  };
}

const Labels: Record<FilterLabel, string> = {
  ami_version: 'AMI version',
  region: 'Region',
  asg: 'Auto Scaling group',
};

/** A multi-value label variable narrowed by the filter variables before it. */
export function labelVariable(label: FilterLabel): Variable {
  const before = FilterLabels.slice(0, FilterLabels.indexOf(label));
  const selector =
    before.length === 0
      ? PromMetric.bootsTotal
      : `${PromMetric.bootsTotal}{${filterMatchers(before).join(', ')}}`;
  const query = `label_values(${selector}, ${label})`;
  return {
    name: label,
    label: Labels[label],
    type: 'query',
    hide: 0,
    datasource: PrometheusFromVariable,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    definition: query,
    refresh: 2,
    regex: '',
    sort: 1,
    multi: true,
    includeAll: true,
    // `.*` rather than a list of the values: it also matches boots without the label (asg="").
    allValue: '.*',
    current: { text: ['All'], value: ['$__all'], selected: true },
    options: [],
  };
}

export function textVariable(name: string, label: string, value: string, description: string) {
  const v: Variable = {
    name,
    label,
    description,
    type: 'textbox',
    hide: 0,
    query: value,
    current: { text: value, value },
    options: [{ text: value, value, selected: true }],
  };
  return v;
}

export function filterVariables(): Variable[] {
  return [datasourceVariable(), ...FilterLabels.map(labelVariable)];
}
