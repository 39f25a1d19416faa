// Prometheus' HTTP API as the end-to-end test uses it: instant queries, and waiting for one to
// hold (polling, bounded).

export interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: unknown[] | [number, string] };
}

export async function instantQuery(prometheusUrl: string, expr: string): Promise<QueryAnswer> {
  const res = await fetch(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }).toString(),
  });
  return (await res.json()) as QueryAnswer;
}

/** How many series (or 1 for a scalar) an answer holds. */
export function resultSize(a: QueryAnswer): number {
  if (a.status !== 'success' || !a.data) return 0;
  if (a.data.resultType === 'scalar' || a.data.resultType === 'string') return 1;
  return (a.data.result as unknown[]).length;
}

export async function waitForQuery(
  prometheusUrl: string,
  expr: string,
  timeoutMs: number,
): Promise<QueryAnswer> {
  const deadline = Date.now() + timeoutMs;
  let last: QueryAnswer | null = null;
  while (Date.now() < deadline) {
    last = await instantQuery(prometheusUrl, expr).catch(() => null);
    if (last && resultSize(last) > 0) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `no result for ${expr} within ${timeoutMs} ms; last answer: ${JSON.stringify(last)}`,
  );
}

export interface RangeSeries {
  metric: Record<string, string>;
  /** [unix seconds, value] per step with a sample. */
  values: [number, string][];
}

/** A range query (`/api/v1/query_range`), steps in seconds; throws on an error answer. */
export async function rangeQuery(
  prometheusUrl: string,
  expr: string,
  startMs: number,
  endMs: number,
  stepSeconds: number,
): Promise<RangeSeries[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query_range`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      query: expr,
      start: String(startMs / 1000),
      end: String(endMs / 1000),
      step: String(stepSeconds),
    }).toString(),
  });
  const answer = (await res.json()) as QueryAnswer;
  if (answer.status !== 'success') throw new Error(`${expr}: ${answer.error ?? 'error'}`);
  return (answer.data?.result ?? []) as RangeSeries[];
}
