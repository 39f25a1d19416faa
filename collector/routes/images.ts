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
import { saysUnknown } from '../../shared/boot-report.js';
import { BootwatchError } from '../../shared/errors.js';
import { printableProblem } from '../../shared/text.js';
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

/**
 * What the schema cannot say, as a message naming the field; null when the body is fine. The
 * registry states what an AMI is, so a version must name one: not blank, not padded with spaces
 * (" 1.2" and "1.2" would be two versions), and not `unknown` or `other` in any case, the names
 * that labels fold into (DESIGN.md, exposure): an image registered as `other` would be counted
 * with every version folded past the label cap. Every text is printable (shared/text.ts): a NUL
 * in a name or in build metadata reached PostgreSQL and came back as a 503.
 */
export function imageBodyProblem(b: ImageBody): string | null {
  if (saysUnknown(b.version)) {
    return `body/version: ${JSON.stringify(b.version)} names no version (blank, or unknown or other, the names labels fold into); expected the image's version, e.g. "2026.11.3"`;
  }
  if (b.version.trim() !== b.version) {
    return `body/version: ${JSON.stringify(b.version)} starts or ends with whitespace; expected the version without it`;
  }
  const texts: [string, string][] = [['version', b.version]];
  if (b.name !== undefined) texts.push(['name', b.name]);
  for (const [key, value] of Object.entries(b.build ?? {})) {
    texts.push([`build (key ${JSON.stringify(key)})`, key], [`build/${key}`, value]);
  }
  for (const [field, text] of texts) {
    const problem = printableProblem(text);
    if (problem !== null) {
      return `body/${field}: ${problem}, received ${JSON.stringify(text.slice(0, 60))}; expected printable text`;
    }
  }
  return null;
}

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
      const problem = imageBodyProblem(b);
      if (problem !== null) throw new BootwatchError('BW_BODY_INVALID', problem);
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
