// GET /api/v1/slos: per SLO and group, the SLI, objective, error budget remaining, burn rates,
// alert tiers and events of every window (collector/slo/report.ts has the shape). The engine's
// latest report, evaluated first when older than the evaluation interval. `?slo=NAME` keeps one.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BootwatchError } from '../../shared/errors.js';
import type { SloReport } from '../slo/report.js';
import type { RouteContext } from './context.js';

const QuerySchema = Type.Object(
  { slo: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })) },
  { additionalProperties: false },
);

export interface SloReportSource {
  report(): Promise<SloReport>;
}

export function sloRoutes(app: FastifyInstance, ctx: RouteContext, engine: SloReportSource): void {
  app.get<{ Querystring: Static<typeof QuerySchema> }>(
    '/api/v1/slos',
    {
      schema: { querystring: QuerySchema },
      onRequest: async (request) => ctx.auth.read(request.headers),
    },
    async (request) => {
      const report = await engine.report();
      const name = request.query.slo;
      if (name === undefined) return report;
      const slos = report.slos.filter((s) => s.name === name);
      if (slos.length === 0) {
        throw new BootwatchError(
          'BW_NOT_FOUND',
          `no SLO named '${name}'; expected one of ${report.slos.map((s) => s.name).join(', ')}`,
        );
      }
      return { ...report, slos };
    },
  );
}
