// GET /metrics for Prometheus. Not behind the admin token: scrapers rarely carry one, and the
// series hold counts per AMI version, nothing an agent or the read API would not show.
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

export function metricsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
