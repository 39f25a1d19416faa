// Small typed builders for the panels bootwatch uses, and a layout that places them on Grafana's
// 24-column grid in reading order. A builder returns a draft without id or position; layout()
// numbers the panels and flows them left to right, a row panel starting a new line.
import {
  PrometheusFromVariable,
  type FieldDefaults,
  type Panel,
  type PromTarget,
  type Threshold,
} from './grafana-model.js';

export interface Query {
  expr: string;
  /** Grafana legend template, e.g. `{{ami_version}}`. */
  legend?: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  queries: Query[];
  unit?: string;
  min?: number;
  max?: number;
  decimals?: number;
  /** Threshold steps above the base colour, e.g. [{ color: 'green', value: 0.999 }]. */
  steps?: Threshold[];
  baseColor?: string;
  width?: number;
  height?: number;
}

export type PanelDraft = Omit<Panel, 'id' | 'gridPos'> & { size: { w: number; h: number } };

const RefIds = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function targets(queries: Query[], mode: 'range' | 'instant', format: PromTarget['format']) {
  return queries.map((q, i): PromTarget => ({
    refId: RefIds[i] ?? `Q${i}`,
    datasource: PrometheusFromVariable,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    instant: mode === 'instant',
    range: mode === 'range',
    format,
  }));
}

function defaults(spec: PanelSpec): FieldDefaults {
  const out: FieldDefaults = {};
  if (spec.unit !== undefined) out.unit = spec.unit;
  if (spec.min !== undefined) out.min = spec.min;
  if (spec.max !== undefined) out.max = spec.max;
  if (spec.decimals !== undefined) out.decimals = spec.decimals;
  out.thresholds = {
    mode: 'absolute',
    steps: [{ color: spec.baseColor ?? 'green', value: null }, ...(spec.steps ?? [])],
  };
  return out;
}

function draft(
  spec: PanelSpec,
  type: Panel['type'],
  mode: 'range' | 'instant',
  format: PromTarget['format'],
  options: Record<string, unknown>,
  custom?: Record<string, unknown>,
  size = { w: 12, h: 8 },
): PanelDraft {
  const fieldDefaults = defaults(spec);
  if (custom) fieldDefaults.custom = custom;
  return {
    type,
    title: spec.title,
    description: spec.description,
    datasource: PrometheusFromVariable,
    targets: targets(spec.queries, mode, format),
    fieldConfig: { defaults: fieldDefaults, overrides: [] },
    options,
    size: { w: spec.width ?? size.w, h: spec.height ?? size.h },
  };
}

const legend = {
  showLegend: true,
  displayMode: 'table',
  placement: 'bottom',
  calcs: ['lastNotNull', 'max'],
};

export function timeseries(spec: PanelSpec & { stacked?: boolean; bars?: boolean }): PanelDraft {
  const custom: Record<string, unknown> = {
    drawStyle: spec.bars ? 'bars' : 'line',
    fillOpacity: spec.bars || spec.stacked ? 60 : 10,
    lineWidth: 1,
    spanNulls: false,
    stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
    thresholdsStyle: { mode: spec.steps && spec.steps.length > 0 ? 'line' : 'off' },
  };
  const options = { legend, tooltip: { mode: 'multi', sort: 'desc' } };
  return draft(spec, 'timeseries', 'range', 'time_series', options, custom);
}

export function stat(spec: PanelSpec): PanelDraft {
  const options = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    colorMode: 'value',
    graphMode: 'none',
    justifyMode: 'auto',
    textMode: 'auto',
    orientation: 'auto',
  };
  return draft(spec, 'stat', 'instant', 'time_series', options, undefined, { w: 6, h: 5 });
}

export function barGauge(spec: PanelSpec): PanelDraft {
  const options = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    orientation: 'horizontal',
    displayMode: 'basic',
    showUnfilled: true,
    valueMode: 'color',
    namePlacement: 'left',
  };
  return draft(spec, 'bargauge', 'instant', 'time_series', options);
}

export function table(spec: PanelSpec): PanelDraft {
  const options = { showHeader: true, cellHeight: 'sm', footer: { show: false } };
  return draft(spec, 'table', 'instant', 'table', options, { align: 'auto' });
}

export function heatmap(spec: PanelSpec): PanelDraft {
  const options = {
    calculate: false,
    cellGap: 1,
    color: { mode: 'scheme', scheme: 'Oranges', steps: 64 },
    yAxis: { axisPlacement: 'left', unit: 's' },
    rowsFrame: { layout: 'auto' },
    tooltip: { mode: 'single', yHistogram: true },
  };
  return draft(spec, 'heatmap', 'range', 'heatmap', options);
}

export function text(title: string, markdown: string, size = { w: 24, h: 6 }): PanelDraft {
  return {
    type: 'text',
    title,
    options: { mode: 'markdown', content: markdown, code: { language: 'plaintext' } },
    size,
  };
}

export function row(title: string): PanelDraft {
  return { type: 'row', title, collapsed: false, panels: [], size: { w: 24, h: 1 } };
}

/** Numbers the panels from 1 and places them in reading order on the 24-column grid. */
export function layout(drafts: PanelDraft[]): Panel[] {
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  return drafts.map((d, i) => {
    const { size, ...panel } = d;
    if (d.type === 'row' || x + size.w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    const placed: Panel = { id: i + 1, gridPos: { h: size.h, w: size.w, x, y }, ...panel };
    x += size.w;
    lineHeight = Math.max(lineHeight, size.h);
    if (d.type === 'row') {
      y += size.h;
      x = 0;
      lineHeight = 0;
    }
    return placed;
  });
}
