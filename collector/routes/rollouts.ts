// Rollouts: what a release pipeline tells bootwatch about a canary, and the verdict it obeys.
//   POST /api/v1/rollouts                 (admin token) start one: { candidate, baseline?, scope:
//                                          { asgs?, regions? }, startedAt?, policy? }; 201 { rollout }
//   POST /api/v1/rollouts/:id/promote     (admin token) what the pipeline did, with { note? };
//   POST /api/v1/rollouts/:id/rollback    200 { rollout }; 409 when the rollout is already
//   POST /api/v1/rollouts/:id/abort       finished
//   GET  /api/v1/rollouts[?state=canary]  { rollouts }, oldest first
//   GET  /api/v1/rollouts/:id             { rollout }
//   GET  /api/v1/rollouts/:id/verdict     promote, hold or rollback with every check (rollout-judge.ts)
// Every check of a request runs before anything is stored: a 4xx stores nothing. docs/rollouts.md
// is the user's guide.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { HeaderMap } from '../auth/authenticate.js';
import { BootwatchError, isBootwatchError } from '../../shared/errors.js';
import { rfc3339Ms } from '../../shared/rfc3339.js';
import { printableProblem } from '../../shared/text.js';
import { resolvePolicy, type PolicyOverrides } from '../rollouts/policy.js';
import type { RolloutJudge } from '../rollouts/rollout-judge.js';
import {
  RolloutStates,
  type FinishedRolloutState,
  type NewRollout,
} from '../rollouts/rollout-model.js';
import { rolloutView } from '../rollouts/rollout-view.js';
import type { RouteContext } from './context.js';
import { storeWrite } from './store-write.js';

const Name = Type.String({ minLength: 1, maxLength: 255 });
const Probability = Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 0.5 });

/** The verdict policy's fields (collector/rollouts/policy.ts); resolvePolicy checks the ranges. */
const PolicySchema = Type.Object(
  {
    canaryDurationMs: Type.Optional(Type.Number()),
    minCanaryDurationMs: Type.Optional(Type.Number()),
    minBootsPerSide: Type.Optional(Type.Integer()),
    falseRollback: Type.Optional(
      Type.Object(
        {
          bootSuccessVsBaseline: Type.Optional(Probability),
          bootSuccessVsSlo: Type.Optional(Probability),
          timeToReady: Type.Optional(Probability),
        },
        { additionalProperties: false },
      ),
    ),
    spending: Type.Optional(Type.Union([Type.Literal('pocock'), Type.Literal('obrien-fleming')])),
    readyToleranceMs: Type.Optional(Type.Number()),
    readyToleranceRatio: Type.Optional(Type.Number()),
    baselineBreachP: Type.Optional(Type.Number()),
    budgetFloor: Type.Optional(Type.Number()),
    requireScan: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const StartSchema = Type.Object(
  {
    candidate: Name,
    baseline: Type.Optional(Type.Union([Name, Type.Null()])),
    scope: Type.Object(
      {
        asgs: Type.Optional(Type.Array(Name, { maxItems: 100, uniqueItems: true })),
        regions: Type.Optional(
          Type.Array(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$', maxLength: 32 }), {
            maxItems: 50,
            uniqueItems: true,
          }),
        ),
      },
      { additionalProperties: false },
    ),
    startedAt: Type.Optional(Type.String({ maxLength: 40 })),
    policy: Type.Optional(PolicySchema),
  },
  { additionalProperties: false },
);
type StartBody = Static<typeof StartSchema>;

const IdParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});
type IdParams = Static<typeof IdParams>;
const FinishSchema = Type.Union([
  Type.Object(
    { note: Type.Optional(Type.String({ maxLength: 1024 })) },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
const ListQuery = Type.Object(
  { state: Type.Optional(Type.Union(RolloutStates.map((s) => Type.Literal(s)))) },
  { additionalProperties: false },
);

const invalid = (message: string) => new BootwatchError('BW_ROLLOUT_INVALID', message);

/** The rollout a start request describes, every field checked; throws BW_ROLLOUT_INVALID. */
async function newRollout(ctx: RouteContext, b: StartBody): Promise<NewRollout> {
  const baseline = b.baseline ?? null;
  const texts: [string, string | null][] = [
    ['candidate', b.candidate],
    ['baseline', baseline],
    ...(b.scope.asgs ?? []).map((a, i): [string, string] => [`scope/asgs/${i}`, a]),
  ];
  for (const [field, text] of texts) {
    const problem = text === null ? null : printableProblem(text);
    if (problem !== null) throw invalid(`body/${field}: ${problem}; expected printable text`);
  }
  if (baseline === b.candidate) {
    throw invalid(
      `body/baseline: the candidate ${JSON.stringify(b.candidate)} cannot be its own baseline; expected the version it replaces, or null for a first version`,
    );
  }
  const known = new Set((await ctx.store.listImages()).map((i) => i.version));
  for (const [field, version] of [
    ['candidate', b.candidate],
    ['baseline', baseline],
  ] as const) {
    if (version !== null && !known.has(version)) {
      const some = [...known].sort().slice(0, 10);
      throw invalid(
        `body/${field}: version ${JSON.stringify(version)} is not in the image registry; ` +
          `register it first (POST /api/v1/images)` +
          (some.length === 0
            ? ': the registry is empty'
            : `; known versions include ${some.join(', ')}`),
      );
    }
  }
  let startedAtMs = ctx.clock.now();
  if (b.startedAt !== undefined) {
    const at = rfc3339Ms(b.startedAt);
    if (at === null) {
      throw invalid(
        `body/startedAt: ${JSON.stringify(b.startedAt)} is not an RFC 3339 time; expected e.g. "2026-12-03T14:00:00Z"`,
      );
    }
    startedAtMs = at;
  }
  const policy = (b.policy ?? {}) as PolicyOverrides;
  try {
    resolvePolicy(policy);
  } catch (e) {
    if (!isBootwatchError(e, 'BW_CONFIG_INVALID')) throw e;
    throw invalid(`body/policy: ${e.message.replace(/^verdict policy: /, '')}`);
  }
  return {
    candidate: b.candidate,
    baseline,
    scope: { asgs: b.scope.asgs ?? [], regions: b.scope.regions ?? [] },
    startedAtMs,
    policy,
    source: 'api',
  };
}

export function rolloutRoutes(app: FastifyInstance, ctx: RouteContext, judge: RolloutJudge): void {
  const admin = {
    onRequest: async (request: { headers: HeaderMap }) => ctx.auth.adminWrite(request.headers),
  };
  const read = {
    onRequest: async (request: { headers: HeaderMap }) => ctx.auth.read(request.headers),
  };

  app.post<{ Body: StartBody }>(
    '/api/v1/rollouts',
    { schema: { body: StartSchema }, ...admin },
    async (request, reply) => {
      const fresh = await newRollout(ctx, request.body);
      const rollout = await storeWrite('a rollout', () => ctx.store.rollouts.create(fresh));
      return reply.code(201).send({ rollout: rolloutView(rollout) });
    },
  );

  const finishes: [string, FinishedRolloutState][] = [
    ['promote', 'promoted'],
    ['rollback', 'rolled_back'],
    ['abort', 'aborted'],
  ];
  for (const [action, state] of finishes) {
    app.post<{ Params: IdParams; Body: Static<typeof FinishSchema> }>(
      `/api/v1/rollouts/:id/${action}`,
      { schema: { params: IdParams, body: FinishSchema }, ...admin },
      async (request) => {
        const note = request.body?.note ?? null;
        const problem = note === null ? null : printableProblem(note);
        if (problem !== null) {
          throw new BootwatchError(
            'BW_BODY_INVALID',
            `body/note: ${problem}; expected printable text`,
          );
        }
        const { id } = request.params;
        const rollout = await storeWrite(`the ${action} of rollout ${id}`, () =>
          ctx.store.rollouts.finish(id, state, ctx.clock.now(), note),
        );
        return { rollout: rolloutView(rollout) };
      },
    );
  }

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/rollouts',
    { schema: { querystring: ListQuery }, ...read },
    async (request) => ({
      rollouts: (await ctx.store.rollouts.list(request.query.state)).map(rolloutView),
    }),
  );

  app.get<{ Params: IdParams }>(
    '/api/v1/rollouts/:id',
    { schema: { params: IdParams }, ...read },
    async (request) => {
      const rollout = await ctx.store.rollouts.get(request.params.id);
      if (rollout === null) {
        throw new BootwatchError('BW_NOT_FOUND', `no rollout with id ${request.params.id}`);
      }
      return { rollout: rolloutView(rollout) };
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/v1/rollouts/:id/verdict',
    { schema: { params: IdParams }, ...read },
    async (request) => judge.verdict(request.params.id),
  );
}
