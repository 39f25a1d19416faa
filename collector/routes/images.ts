// The image registry and per-version boot statistics.
//   POST /api/v1/images  (admin token) the bake pipeline registers an AMI: { amiId, region, name,
//                        version, build }; the registry wins over what agents report.
//   GET  /api/v1/images?since=30d  per AMI version: first boots decided in the window, successes,
//                        failures by reason, time-to-ready p50/p95/p99 (estimated within the
//                        TimeToReadyBuckets, see image-stats.ts), the registered images and the
//                        version's latest scan (routes/scans.ts).
// JSON bodies use the field names of the model (camelCase); query parameters are snake_case.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ImageRecord } from '../model.js';
import type { RouteContext } from './context.js';
import { imageStats } from './image-stats.js';
import { floorMinute, MinuteMs, parseSince } from './query.js';
import { withLatestScans } from './scans.js';

export const ImageBodySchema = Type.Object(
  {
    amiId: Type.String({ pattern: '^ami-([0-9a-f]{8}|[0-9a-f]{17})$' }),
    region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$', maxLength: 32 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    version: Type.String({ minLength: 1, maxLength: 128 }),
    build: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1024 }), {
        maxProperties: 64,
      }),
    ),
  },
  { additionalProperties: false },
);
export type ImageBody = Static<typeof ImageBodySchema>;

const StatsQuerySchema = Type.Object(
  { since: Type.Optional(Type.String({ maxLength: 40 })) },
  { additionalProperties: false },
);

export const DefaultStatsWindow = '30d';

export function imageRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Body: ImageBody }>(
    '/api/v1/images',
    {
      schema: { body: ImageBodySchema },
      onRequest: async (request) => ctx.auth.adminWrite(request.headers),
    },
    async (request, reply) => {
      const b = request.body;
      const image: ImageRecord = {
        amiId: b.amiId,
        region: b.region ?? null,
        name: b.name ?? null,
        version: b.version,
        build: b.build ?? {},
        source: 'registry',
        registeredAtMs: ctx.clock.now(),
      };
      await ctx.store.upsertImage(image);
      return reply.code(201).send({ image });
    },
  );

  app.get<{ Querystring: Static<typeof StatsQuerySchema> }>(
    '/api/v1/images',
    {
      schema: { querystring: StatsQuerySchema },
      onRequest: async (request) => ctx.auth.read(request.headers),
    },
    async (request) => {
      const now = ctx.clock.now();
      const fromMs = floorMinute(parseSince(request.query.since, now, DefaultStatsWindow));
      // The current minute is included: its rollups are already counted.
      const toMs = floorMinute(now) + MinuteMs;
      const [rows, images, scans] = await Promise.all([
        ctx.store.rollups({ fromMs, toMs }),
        ctx.store.listImages(),
        ctx.store.scans.latest(),
      ]);
      return {
        since: new Date(fromMs).toISOString(),
        until: new Date(toMs).toISOString(),
        versions: withLatestScans(imageStats(rows, images), scans),
      };
    },
  );
}
