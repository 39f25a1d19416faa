// POST /v1/metrics: OTLP/HTTP, JSON or protobuf, gzip or not. The order matters:
//   1. load shedding and authentication before the body is read (onRequest), so an overload or
//      an unknown caller costs no body bytes;
//   2. decompress under the limit, decode, rebuild the boots: any failure is a 4xx, nothing stored;
//   3. every boot against the signed identity: one mismatch rejects the request whole (403);
//   4. write: each boot written whole (the store may commit it with other requests' boots), then
//      the heartbeats; the counters each commit returns move /metrics. A failed write answers
//      503 + Retry-After: the exporter retries the request, and upserts keyed by (instance, boot)
//      make the boots already written a no-op.
// Answers are in the request's encoding: ExportMetricsServiceResponse (with partialSuccess when
// data points were rejected) or google.rpc.Status for errors.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BootReport } from '../../shared/boot-report.js';
import { BootwatchError } from '../../shared/errors.js';
import { checkBootAgainstIdentity, type AgentPrincipal } from '../auth/authenticate.js';
import { logHttpError, setRetryAfter, toHttpError } from '../errors-http.js';
import { extractBoots } from '../otlp/boot-extract.js';
import { decodeBody } from '../otlp/body.js';
import { decodeMetricsRequest, otlpEncodingOf, type OtlpEncoding } from '../otlp/decode.js';
import { encodeExportResponse, encodeStatus, grpcCodeForHttpStatus } from '../otlp/response.js';
import type { RouteContext } from './context.js';
import { storeWrite } from './store-write.js';

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
  const principals = new WeakMap<FastifyRequest, AgentPrincipal>();

  app.post(
    '/v1/metrics',
    {
      onRequest: async (request, reply) => {
        if (inFlight >= ctx.config.maxInFlight) {
          throw new BootwatchError(
            'BW_OVERLOADED',
            `${inFlight} requests are being ingested, the limit is ${ctx.config.maxInFlight}; retry`,
          );
        }
        inFlight += 1;
        // 'close' fires once the response is sent or the connection is gone, whichever first.
        reply.raw.once('close', () => {
          inFlight -= 1;
        });
        principals.set(request, await ctx.auth.agent(request.headers));
      },
    },
    async (request, reply) => {
      const principal = principals.get(request);
      if (principal === undefined) throw new Error('onRequest did not authenticate the request');
      const body = decodeBody(
        request.body as Buffer,
        header(request, 'content-encoding'),
        ctx.config.bodyLimitBytes,
      );
      const otlp = decodeMetricsRequest(body, request.headers['content-type']);
      const { boots, heartbeats, rejectedDataPoints, errors } = extractBoots(otlp);
      if (principal.kind === 'identity') {
        for (const boot of boots) checkBootAgainstIdentity(boot, principal.document);
        for (const beat of heartbeats) checkBootAgainstIdentity(beat, principal.document);
      }

      await writeBoots(ctx, boots, ctx.clock.now());
      if (heartbeats.length > 0) {
        await storeWrite('heartbeats', () => ctx.store.recordHeartbeats(heartbeats));
      }

      const partial =
        rejectedDataPoints > 0
          ? { rejectedDataPoints, errorMessage: summarize(errors) }
          : undefined;
      const { body: out, contentType } = encodeExportResponse(responseKind(request), partial);
      return reply.code(200).type(contentType).send(out);
    },
  );
}

/**
 * Every boot of the request, submitted together so that they share a transaction (the store
 * batches concurrent writes). Each boot is still written whole or not at all: the counters of
 * those written move /metrics even when another failed, and the failure answers the request.
 */
async function writeBoots(
  ctx: RouteContext,
  boots: readonly BootReport[],
  receivedAtMs: number,
): Promise<void> {
  const write = (boot: BootReport) =>
    storeWrite(`the boot ${boot.instanceId}/${boot.bootId}`, () =>
      ctx.store.upsertBoot(boot, receivedAtMs),
    );
  if (boots.length === 1) {
    ctx.metrics.apply((await write(boots[0] as BootReport)).counters);
    return;
  }
  let failure: { error: unknown } | null = null;
  for (const r of await Promise.allSettled(boots.map(write))) {
    if (r.status === 'fulfilled') ctx.metrics.apply(r.value.counters);
    else failure ??= { error: r.reason };
  }
  if (failure !== null) throw failure.error;
}

/** The first problems and how many more: a batch of broken boots must not make a huge answer. */
export function summarize(errors: readonly string[], max = 10): string {
  const shown = errors.slice(0, max).join('; ');
  return errors.length > max ? `${shown}; and ${errors.length - max} more` : shown;
}

/** Errors answer in the request's encoding; JSON when it named none we speak. */
function responseKind(request: FastifyRequest): OtlpEncoding {
  return otlpEncodingOf(request.headers['content-type']) ?? 'json';
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
