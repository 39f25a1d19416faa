// POST /v1/metrics: OTLP/HTTP, JSON or protobuf, gzip or not. The order matters:
//   1. load shedding and authentication before the body is read (onRequest), so an overload or
//      an unknown caller costs no body bytes;
//   2. decode, check against the signed identity and write (ingest.ts): a body that does not
//      decode is a 4xx with nothing stored, a failed write a 503 + Retry-After that the exporter
//      retries;
//   3. the answer, once the boots are committed and their counters are on /metrics; a partial
//      success is also logged (rate-limited) and its rejected points counted on /metrics.
// Answers are in the request's encoding: ExportMetricsServiceResponse (with partialSuccess when
// data points were rejected) or google.rpc.Status for errors.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BootwatchError } from '../../shared/errors.js';
import type { AgentPrincipal } from '../auth/authenticate.js';
import { logHttpError, setRetryAfter, toHttpError } from '../errors-http.js';
import { ingestOtlp } from '../otlp/ingest.js';
import { otlpEncodingOf, type OtlpEncoding } from '../otlp/decode.js';
import { RejectionLog } from '../otlp/rejection-log.js';
import { encodeExportResponse, encodeStatus, grpcCodeForHttpStatus } from '../otlp/response.js';
import type { RouteContext } from './context.js';

export const OtlpContentTypes = [
  'application/json',
  'application/x-protobuf',
  'application/protobuf',
];

/** Registered as a plugin: its content-type parsers and error handler are its own. */
export async function otlpRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  // The raw bytes go to decodeBody, so that the limit applies after decompression. Fastify's
  // limit, on the bytes received, is the same number: gzip never makes a body larger that much.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    OtlpContentTypes,
    { parseAs: 'buffer', bodyLimit: ctx.config.bodyLimitBytes },
    (_request, body, done) => done(null, body),
  );

  app.setErrorHandler((err, request, reply) => {
    const mapped = toHttpError(err, request);
    logHttpError(request, err, mapped);
    setRetryAfter(reply, mapped);
    const { body, contentType } = encodeStatus(
      responseKind(request),
      grpcCodeForHttpStatus(mapped.status),
      `${mapped.code}: ${mapped.message}`,
    );
    return reply.code(mapped.status).type(contentType).send(body);
  });

  let inFlight = 0;
  const rejections = new RejectionLog(ctx.clock);
  const principals = new WeakMap<FastifyRequest, AgentPrincipal>();

  app.post(
    '/v1/metrics',
    {
      // Shed early (no body bytes spent) while the ingest slots are full, but take a slot only
      // once the body is in: a sender that trickles its body must not hold one (body_timeout
      // bounds how long it holds its connection).
      onRequest: async (request) => {
        if (inFlight >= ctx.config.maxInFlight) throw overloaded(inFlight, ctx.config.maxInFlight);
        principals.set(request, await ctx.auth.agent(request.headers));
      },
      preHandler: async (_request, reply) => {
        if (inFlight >= ctx.config.maxInFlight) throw overloaded(inFlight, ctx.config.maxInFlight);
        inFlight += 1;
        // 'close' fires once the response is sent or the connection is gone, whichever first.
        reply.raw.once('close', () => {
          inFlight -= 1;
        });
      },
    },
    async (request, reply) => {
      const principal = principals.get(request);
      if (principal === undefined) throw new Error('onRequest did not authenticate the request');
      const { counters, partial, error } = await ingestOtlp(ctx.store, {
        body: request.body as Buffer,
        contentType: request.headers['content-type'],
        contentEncoding: header(request, 'content-encoding'),
        bodyLimitBytes: ctx.config.bodyLimitBytes,
        identity: principal.kind === 'identity' ? principal.document : null,
        receivedAtMs: ctx.clock.now(),
      });
      // What was committed moves /metrics, also when another boot of the request failed.
      if (counters.length > 0) ctx.metrics.apply(counters);
      if (error !== undefined) throw error;
      if (partial !== undefined) {
        if (partial.rejectedDataPoints > 0) ctx.metrics.countRejected(partial.rejectedDataPoints);
        const line = rejections.note(partial);
        if (line !== null) {
          request.log.warn(
            { rejectedDataPoints: line.rejectedDataPoints, heldBack: line.heldBack },
            `OTLP partial success: ${line.rejectedDataPoints} data points rejected: ${line.message}` +
              (line.heldBack > 0 ? ` (${line.heldBack} more partial successes not logged)` : ''),
          );
        }
      }
      const { body: out, contentType } = encodeExportResponse(responseKind(request), partial);
      return reply.code(200).type(contentType).send(out);
    },
  );
}

function overloaded(inFlight: number, limit: number): BootwatchError {
  return new BootwatchError(
    'BW_OVERLOADED',
    `${inFlight} requests are being ingested, the limit is ${limit}; retry`,
  );
}

/** Errors answer in the request's encoding; JSON when it named none we speak. */
function responseKind(request: FastifyRequest): OtlpEncoding {
  return otlpEncodingOf(request.headers['content-type']) ?? 'json';
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
