// One closed-loop load run: autocannon keeps `connections` requests in flight against a server's
// /v1/metrics for `seconds`, each request a body from the factory (body number `next()`).
import autocannon from 'autocannon';
import type { BodyFactory } from './otlp-bodies.js';

export interface LoadResult {
  rps: number;
  p99Ms: number;
  /** 2xx answers: what the server acknowledged. */
  ok: number;
  non2xx: number;
  errors: number;
}

export async function load(
  url: string,
  bodies: BodyFactory,
  seconds: number,
  connections: number,
  next: () => number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/v1/metrics`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': bodies.contentType },
        setupRequest: (req) => ({ ...req, body: bodies.body(next()) }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
