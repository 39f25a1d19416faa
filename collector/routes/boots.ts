// Raw boots for the debug views (kept for the retention period).
//   GET /api/v1/boots?ami_version=&outcome=&reason=&since=&limit=&cursor=  newest first, paged:
//       pass `nextCursor` back as `cursor` until it is null.
//   GET /api/v1/boots/:instanceId  the instance's boots, each with its timeline by phase, and the
//       launch facts learned from events; 404 when neither is known.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Outcomes, Reasons } from '../../shared/conventions.js';
import { BootwatchError } from '../../shared/errors.js';
import { bootTimeline } from './boot-timeline.js';
import type { RouteContext } from './context.js';
import { parseSince } from './query.js';

const Literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

const BootsQuerySchema = Type.Object(
  {
    ami_version: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    outcome: Type.Optional(Literals(Outcomes)),
    reason: Type.Optional(Literals(Reasons)),
    since: Type.Optional(Type.String({ maxLength: 40 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  },
  { additionalProperties: false },
);

const InstanceParamsSchema = Type.Object({
  instanceId: Type.String({ minLength: 1, maxLength: 64 }),
});

export function bootRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const onRequest = async (request: FastifyRequest) => ctx.auth.read(request.headers);

  app.get<{ Querystring: Static<typeof BootsQuerySchema> }>(
    '/api/v1/boots',
    { schema: { querystring: BootsQuerySchema }, onRequest },
    async (request) => {
      const q = request.query;
      const page = await ctx.store.queryBoots({
        amiVersion: q.ami_version,
        outcome: q.outcome,
        reason: q.reason,
        sinceMs: q.since === undefined ? undefined : parseSince(q.since, ctx.clock.now(), q.since),
        limit: q.limit,
        cursor: q.cursor,
      });
      return { boots: page.boots, nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: Static<typeof InstanceParamsSchema> }>(
    '/api/v1/boots/:instanceId',
    { schema: { params: InstanceParamsSchema }, onRequest },
    async (request) => {
      const { instanceId } = request.params;
      const [boots, launch] = await Promise.all([
        ctx.store.getBoots(instanceId),
        ctx.store.getLaunch(instanceId),
      ]);
      if (boots.length === 0 && launch === null) {
        throw new BootwatchError('BW_NOT_FOUND', `no boot and no launch known for ${instanceId}`);
      }
      return {
        instanceId,
        launch,
        boots: boots.map((boot) => ({ ...boot, timeline: bootTimeline(boot) })),
      };
    },
  );
}
