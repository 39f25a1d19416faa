// Every PromQL query of a dashboard (panel targets and query variables), and Grafana's variable
// interpolation reduced to what bootwatch's dashboards use, so that a test can run each query
// against a real Prometheus exactly as Grafana would send it.
import type { Dashboard, Panel } from './grafana-model.js';

export interface PanelQuery {
  dashboard: string;
  /** Panel title, or `variable <name>`. */
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

function panelsOf(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...panelsOf(p.panels ?? [])]);
}

export function panelQueries(d: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of panelsOf(d.panels)) {
    for (const t of p.targets ?? []) {
      out.push({
        dashboard: d.uid,
        panel: p.title,
        refId: t.refId,
        expr: t.expr,
        instant: t.instant,
      });
    }
  }
  return out;
}

/** The Prometheus annotation queries (those with an `expr`), as queries of panel `annotation <name>`. */
export function annotationQueries(d: Dashboard): PanelQuery[] {
  return d.annotations.list.flatMap((a) => {
    const { expr, name } = a as { expr?: unknown; name?: unknown };
    if (typeof expr !== 'string') return [];
    return [
      {
        dashboard: d.uid,
        panel: `annotation ${String(name)}`,
        refId: 'A',
        expr,
        instant: false,
      },
    ];
  });
}

/** The query variables' label_values() queries, as the metric selector Grafana asks series of. */
export function variableQueries(d: Dashboard): PanelQuery[] {
  return d.templating.list.flatMap((v) => {
    if (v.type !== 'query' || typeof v.query === 'string') return [];
    const m = /^label_values\((.+), (\w+)\)$/.exec(v.query.query);
    if (!m) return [];
    return [
      {
        dashboard: d.uid,
        panel: `variable ${v.name}`,
        refId: 'A',
        expr: m[1] ?? '',
        instant: true,
      },
    ];
  });
}

/**
 * Replaces `$name`, `${name}` and `[[name]]` by the given values, longest name first (so that
 * `$__range` is not read as `$__r` + `ange`). Throws when a variable is left, naming it.
 */
export function interpolate(expr: string, values: Record<string, string>): string {
  let out = expr;
  for (const name of Object.keys(values).sort((a, b) => b.length - a.length)) {
    const value = values[name] ?? '';
    out = out.split(`\${${name}}`).join(value).split(`[[${name}]]`).join(value);
    out = out.replace(new RegExp(`\\$${name}(?![A-Za-z0-9_])`, 'g'), () => value);
  }
  const left = /\$\{?[A-Za-z_][A-Za-z0-9_]*/.exec(out);
  if (left) throw new Error(`variable ${left[0]} left in: ${out}`);
  return out;
}
