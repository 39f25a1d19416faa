// SLOs -> the three Grafana dashboards, as files to write under dashboards/generated/. Pure;
// cli/generate-command.ts writes them. JSON with two-space indentation and a final newline,
// keys in a fixed order: the same SLOs give the same bytes.
import { isBootSli } from '../alerts/generate-rules.js';
import type { Slo } from '../shared/slo/model.js';
import { assertValidSlos } from '../shared/slo/validate.js';
import { debugDashboard, DefaultCollectorUrl } from './debug.js';
import { executiveDashboard } from './executive.js';
import type { Dashboard } from './grafana-model.js';
import { onCallDashboard } from './oncall.js';

export interface DashboardOptions {
  /** The collector URL the debug dashboard's timeline link starts from (a variable, editable). */
  collectorUrl?: string;
}

export interface DashboardFile {
  /** File name under dashboards/generated/. */
  name: string;
  dashboard: Dashboard;
}

export function buildDashboards(
  all: readonly Slo[],
  options: DashboardOptions = {},
): DashboardFile[] {
  assertValidSlos(all);
  // Burn rates and budgets come from the recorded series; the SLO panels are about boots (the
  // rollout SLO, M6, has panels of its own: rollout-panels.ts).
  const slos = all.filter(isBootSli);
  return [
    { name: 'bootwatch-executive.json', dashboard: executiveDashboard(slos) },
    { name: 'bootwatch-oncall.json', dashboard: onCallDashboard(slos) },
    {
      name: 'bootwatch-debug.json',
      dashboard: debugDashboard(options.collectorUrl ?? DefaultCollectorUrl),
    },
  ];
}

export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

export function generateDashboards(
  slos: readonly Slo[],
  options: DashboardOptions = {},
): { name: string; text: string }[] {
  return buildDashboards(slos, options).map((f) => ({
    name: f.name,
    text: renderDashboard(f.dashboard),
  }));
}
