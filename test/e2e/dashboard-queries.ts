// Dashboard queries run against a real Prometheus as Grafana sends them with every variable at
// "All": the ones that fail or answer no data, named by dashboard, panel and query.
import type { PanelQuery } from '../../dashboards/panel-queries.js';
import { interpolate } from '../../dashboards/panel-queries.js';
import { instantQuery, resultSize } from './prometheus-api.js';

/** The variables as Grafana fills them in with "All" selected, over a 5-minute range. */
export const AllValues = {
  datasource: 'prometheus',
  ami_version: '.*',
  region: '.*',
  asg: '.*',
  __range: '5m',
  __rate_interval: '5m',
};

/** The queries that fail or answer nothing; empty when every one answers with data. */
export async function unansweredQueries(
  prometheusUrl: string,
  queries: readonly PanelQuery[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const q of queries) {
    const answer = await instantQuery(prometheusUrl, interpolate(q.expr, AllValues));
    const where = `${q.dashboard} / ${q.panel} / ${q.refId}`;
    if (answer.status !== 'success') problems.push(`${where}: ${answer.error ?? 'error'}`);
    else if (resultSize(answer) === 0) problems.push(`${where}: no data`);
  }
  return problems;
}
