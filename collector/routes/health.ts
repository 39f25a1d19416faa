// /healthz: the process is up (a liveness probe restarts it otherwise). /readyz: the store answers
// and the collector is not shutting down (a readiness probe takes it out of the load balancer).
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

/** How long /readyz waits for the store before calling it unready. */
export const ReadyTimeoutMs = 2000;

export function healthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (ctx.isDraining()) return reply.code(503).send({ status: 'draining' });
    try {
      // A primary-key lookup: the cheapest query every engine answers.
      await withTimeout(ctx.store.getLaunch('readyz'), ReadyTimeoutMs);
      return { status: 'ready', store: ctx.store.engine };
    } catch (err) {
      request.log.warn({ err }, 'readiness check: the store did not answer');
      return reply.code(503).send({ status: 'unready', reason: 'the store did not answer' });
    }
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
