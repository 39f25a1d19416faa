// GET /metrics for Prometheus. Not behind the admin token: scrapers rarely carry one, and the
// series hold counts per AMI version, nothing an agent or the read API would not show. A
// Prometheus scrape is told apart from other readers (metrics/scrapers.ts): a new series is shown
// to it at 0 before its first increment.
import type { FastifyInstance } from 'fastify';
import { scraperOf } from '../metrics/scrapers.js';
import type { RouteContext } from './context.js';

export function metricsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/metrics', async (request, reply) => {
    const scraper = scraperOf(request.headers, request.socket);
    const text = await ctx.metrics.render(scraper, ctx.clock.now());
    return reply.type(ctx.metrics.registry.contentType).send(text);
  });
}
