// GET /api/v1/slos: per SLO and group, the SLI, objective, error budget remaining, burn rates,
// alert tiers and events of every window (collector/slo/report.ts has the shape), from the
// engine's latest report (evaluated first when stale or after this collector wrote boots).
//
// Bounded whatever the number of groups (twenty thousand AMI versions answered 88 MB once):
// - without `slo`, each SLO lists the `label_cap` most recently active groups and one group
//   `other` with the rest summed, as the gauges on /metrics do;
// - `?slo=NAME` lists that SLO's groups one page at a time (`limit`, default 100, at most 1000),
//   in label order, with `nextCursor` for the next page (`&cursor=...`), every group apart;
// - `&ami_version=V` (with or without `slo`) keeps the groups of that version, every one apart.
// Every SLO says how many groups it has (`groupsTotal`).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BootwatchError } from '../../shared/errors.js';
import { foldGroups } from '../slo/fold-groups.js';
import { compareGroupText, groupText } from '../slo/group-index.js';
import type { GroupStatus, SloReport, SloStatus } from '../slo/report.js';
import type { RouteContext } from './context.js';

export const SloPageDefaults = { limit: 100, maxLimit: 1000 } as const;

const QuerySchema = Type.Object(
  {
    slo: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    ami_version: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SloPageDefaults.maxLimit })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  },
  { additionalProperties: false },
);
type Query = Static<typeof QuerySchema>;

export interface SloReportSource {
  report(): Promise<SloReport>;
}

type ListedSlo = SloStatus & { groupsTotal: number };

export function sloRoutes(app: FastifyInstance, ctx: RouteContext, engine: SloReportSource): void {
  app.get<{ Querystring: Query }>(
    '/api/v1/slos',
    {
      schema: { querystring: QuerySchema },
      onRequest: async (request) => ctx.auth.read(request.headers),
    },
    async (request) => {
      const q = request.query;
      if (q.slo === undefined && (q.limit !== undefined || q.cursor !== undefined)) {
        throw new BootwatchError(
          'BW_BODY_INVALID',
          'limit and cursor page the groups of one SLO: add slo=NAME',
        );
      }
      const report = await engine.report();
      const { evaluatedAt, evaluatedAtMs } = report;
      let slos = report.slos;
      if (q.slo !== undefined) {
        slos = slos.filter((s) => s.name === q.slo);
        if (slos.length === 0) {
          throw new BootwatchError(
            'BW_NOT_FOUND',
            `no SLO named '${q.slo}'; expected one of ${report.slos.map((s) => s.name).join(', ')}`,
          );
        }
      }
      const version = q.ami_version;
      if (version !== undefined) {
        const of = (s: SloStatus) => s.groups.filter((g) => g.labels.ami_version === version);
        return { evaluatedAt, evaluatedAtMs, slos: slos.map((s) => listed(s, of(s))) };
      }
      if (q.slo === undefined) {
        const cap = ctx.config.labelCap;
        return { evaluatedAt, evaluatedAtMs, slos: slos.map((s) => listed(s, foldGroups(s, cap))) };
      }
      const slo = slos[0]!;
      const { groups, nextCursor } = page(slo.groups, q.limit ?? SloPageDefaults.limit, q.cursor);
      return { evaluatedAt, evaluatedAtMs, slos: [listed(slo, groups)], nextCursor };
    },
  );
}

function listed(slo: SloStatus, groups: GroupStatus[]): ListedSlo {
  return { ...slo, groups, groupsTotal: slo.groups.length };
}

/**
 * The groups after the cursor (the last group of the previous page, as its label text), in label
 * order. By text rather than position: groups that appear between two pages do not shift it.
 */
function page(
  groups: readonly GroupStatus[],
  limit: number,
  cursor: string | undefined,
): { groups: GroupStatus[]; nextCursor: string | null } {
  let from = 0;
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    let lo = 0;
    let hi = groups.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareGroupText(groupText(groups[mid]!.labels), after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    from = lo;
  }
  const slice = groups.slice(from, from + limit);
  const more = from + limit < groups.length;
  const last = slice[slice.length - 1];
  return {
    groups: slice,
    nextCursor: more && last ? Buffer.from(groupText(last.labels)).toString('base64url') : null,
  };
}

function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  if (text === '' || Buffer.from(text).toString('base64url') !== cursor) {
    throw new BootwatchError(
      'BW_BODY_INVALID',
      `cursor '${cursor.slice(0, 64)}' is not one this API returned; use the nextCursor of the previous page`,
    );
  }
  return text;
}
