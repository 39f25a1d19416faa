// Image scans: a scanner's JSON report per AMI, its counts per AMI version, and the scan gate.
//   POST /api/v1/images/:amiId/scans          (admin token) the report as the scanner wrote it,
//        Trivy or Grype JSON, gzip or not, up to scan_body_limit (64 MiB) after decompression;
//        201 { scan }. The report is read as it streams in (collector/scans/read-report.ts).
//   GET  /api/v1/images/:amiVersion/scans?limit=N   the version's scans, latest first
//   GET  /api/v1/images/:amiVersion/scan-gate       the scan policy's decision (scan-gate.ts)
// The order of the POST's checks: the token, the AMI id, the registry (an AMI nobody registered
// is a 404 before a byte of the body is read), the declared length, then the body itself.
// Registered as a plugin: its JSON parser (the streaming one) is its own.
import type { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BootwatchError } from '../../shared/errors.js';
import type { ScanPolicy } from '../../shared/slo/scan-policy.js';
import {
  newScan,
  reportAmiIds,
  scanView,
  type ScanView,
  type StoredScan,
} from '../scans/image-scan.js';
import { readReportStream } from '../scans/read-report.js';
import type { ScanReport } from '../scans/report-reader.js';
import { evaluateScanGate } from '../scans/scan-gate.js';
import type { RouteContext } from './context.js';
import { storeWrite } from './store-write.js';

/** What the route's body parser hands to the handler. */
type ReportBody = { report: ScanReport } | { error: unknown };

export interface ScanRouteOptions {
  ctx: RouteContext;
  policy: ScanPolicy;
}

const AmiId = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const VersionParams = Type.Object({ amiVersion: Type.String({ minLength: 1, maxLength: 128 }) });
const HistoryQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) },
  { additionalProperties: false },
);

export async function scanRoutes(app: FastifyInstance, options: ScanRouteOptions): Promise<void> {
  const { ctx, policy } = options;
  const limit = ctx.config.scanBodyLimitBytes;

  // The parser never fails the request itself: Fastify would answer a parser error with
  // `connection: close`, and a socket closed with an upload still arriving is reset, losing the
  // answer for a client still sending (a 100 MB report over a 64 MiB limit). The error goes to
  // the handler instead; Node reads and drops the rest of the body, and the client reads its 4xx.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    async (request: FastifyRequest, payload: Readable): Promise<ReportBody> => {
      try {
        const declared = Number(request.headers['content-length']);
        if (declared > limit) {
          throw new BootwatchError(
            'BW_BODY_TOO_LARGE',
            `the scan report is ${declared} bytes, over the limit of ${limit} bytes (scan_body_limit)`,
          );
        }
        const encoding = request.headers['content-encoding'];
        return {
          report: await readReportStream(payload, { limitBytes: limit, contentEncoding: encoding }),
        };
      } catch (error) {
        return { error };
      }
    },
  );

  app.post<{ Params: { amiId: string } }>(
    '/api/v1/images/:amiId/scans',
    {
      onRequest: async (request) => {
        ctx.auth.adminWrite(request.headers);
        const { amiId } = request.params;
        if (!AmiId.test(amiId)) {
          throw new BootwatchError(
            'BW_BODY_INVALID',
            `params/amiId: expected an AMI id such as ami-0abc1234def567890, got ${JSON.stringify(amiId.slice(0, 40))}`,
          );
        }
        if ((await ctx.store.getImage(amiId)) === null) throw unknownImage(amiId);
      },
    },
    async (request, reply) => {
      const { amiId } = request.params;
      const body = request.body as ReportBody | undefined;
      if (body !== undefined && 'error' in body) throw body.error;
      const report = body?.report;
      if (report === undefined) {
        throw new BootwatchError(
          'BW_SCAN_JSON',
          'the body is empty; expected the JSON report of a scanner',
        );
      }
      const named = reportAmiIds(report);
      if (named.length > 0 && !named.includes(amiId)) {
        throw new BootwatchError(
          'BW_SCAN_MISMATCH',
          `the report scanned ${named.join(', ')} (${report.artifactName ?? ''}), not ${amiId}; ` +
            `send it to /api/v1/images/${named[0]}/scans`,
        );
      }
      const stored = await storeWrite('a scan', () =>
        ctx.store.scans.record(newScan(amiId, report, ctx.clock.now())),
      );
      if (stored === null) throw unknownImage(amiId);
      return reply.code(201).send({ scan: scanView(stored) });
    },
  );

  app.get<{ Params: Static<typeof VersionParams>; Querystring: Static<typeof HistoryQuery> }>(
    '/api/v1/images/:amiVersion/scans',
    {
      schema: { params: VersionParams, querystring: HistoryQuery },
      onRequest: async (request) => ctx.auth.read(request.headers),
    },
    async (request) => {
      const { amiVersion } = request.params;
      const scans = await ctx.store.scans.history(amiVersion, request.query.limit ?? 50);
      if (scans.length === 0) await knownVersion(amiVersion);
      return { amiVersion, scans: scans.map(scanView) };
    },
  );

  app.get<{ Params: Static<typeof VersionParams> }>(
    '/api/v1/images/:amiVersion/scan-gate',
    {
      schema: { params: VersionParams },
      onRequest: async (request) => ctx.auth.read(request.headers),
    },
    async (request) => {
      const { amiVersion } = request.params;
      const [latest] = await ctx.store.scans.history(amiVersion, 1);
      if (latest === undefined) await knownVersion(amiVersion);
      return { amiVersion, ...evaluateScanGate(policy, latest ?? null, ctx.clock.now()) };
    },
  );

  /** A version no image of the registry has (a typo in a pipeline) is a 404, not "no scan". */
  async function knownVersion(amiVersion: string): Promise<void> {
    const images = await ctx.store.listImages();
    if (images.some((i) => i.version === amiVersion)) return;
    throw new BootwatchError(
      'BW_NOT_FOUND',
      `no AMI of version ${JSON.stringify(amiVersion)} is registered; register it with POST /api/v1/images`,
    );
  }
}

function unknownImage(amiId: string): BootwatchError {
  return new BootwatchError(
    'BW_SCAN_IMAGE_UNKNOWN',
    `${amiId} is not registered, so its scan cannot be counted for any AMI version; register it ` +
      'first (POST /api/v1/images with its version), then send the report again',
  );
}

/** GET /api/v1/images: each version's latest scan beside its boot statistics (null: never scanned). */
export function withLatestScans<T extends { amiVersion: string }>(
  versions: readonly T[],
  latest: readonly StoredScan[],
): (T & { latestScan: ScanView | null })[] {
  const byVersion = new Map(latest.map((s) => [s.amiVersion, scanView(s)]));
  return versions.map((v) => ({ ...v, latestScan: byVersion.get(v.amiVersion) ?? null }));
}
