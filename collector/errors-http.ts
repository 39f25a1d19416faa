// How errors reach HTTP clients: one mapping from anything thrown to a status, a code from
// shared/errors.ts and a message; JSON `{ error: { code, message } }` everywhere, except the OTLP
// route, which answers a google.rpc.Status (routes/otlp.ts). Stacks and unexpected messages stay in
// the log: a client sees BW_INTERNAL and the request id to look for.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BootwatchError, type ErrorCode, isBootwatchError } from '../shared/errors.js';

export interface HttpError {
  status: number;
  code: ErrorCode;
  message: string;
}

/** Fastify's own request errors, by code, mapped onto ours. */
const FastifyCodes: Partial<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BW_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'BW_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BW_BODY_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BW_BODY_INVALID',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BW_BODY_INVALID',
  FST_ERR_NOT_FOUND: 'BW_NOT_FOUND',
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

export function toHttpError(err: unknown, request?: FastifyRequest): HttpError {
  if (isBootwatchError(err)) {
    return { status: err.statusCode || 500, code: err.code, message: err.message };
  }
  const fe = err as Partial<FastifyError> & { validation?: ValidationIssue[] };
  if (Array.isArray(fe.validation) && fe.validation.length > 0) {
    return {
      status: 400,
      code: 'BW_BODY_INVALID',
      message: validationMessage(fe.validationContext ?? 'body', fe.validation[0]!),
    };
  }
  const mapped = fe.code === undefined ? undefined : FastifyCodes[fe.code];
  if (mapped) {
    const detail =
      mapped === 'BW_UNSUPPORTED_MEDIA_TYPE'
        ? `Content-Type '${(request?.headers['content-type'] ?? '(none)').slice(0, 100)}' is not accepted here`
        : (fe.message ?? mapped);
    return { status: fe.statusCode ?? 400, code: mapped, message: detail };
  }
  return { status: 500, code: 'BW_INTERNAL', message: 'internal error; see the collector log' };
}

/** `body/version: must NOT have fewer than 1 characters`, naming the field. */
function validationMessage(context: string, issue: ValidationIssue): string {
  const missing = issue.params?.missingProperty;
  const extra = issue.params?.additionalProperty;
  let path = `${context}${issue.instancePath ?? ''}`;
  if (typeof missing === 'string') path += `/${missing}`;
  if (typeof extra === 'string') return `${path}: unknown field '${extra}'`;
  return `${path}: ${issue.message ?? 'is invalid'}`;
}

/** Logs an error at the level it deserves: 5xx with the stack, 4xx as information. */
export function logHttpError(request: FastifyRequest, err: unknown, mapped: HttpError): void {
  if (mapped.status >= 500) {
    request.log.error({ err, code: mapped.code }, 'request failed');
  } else {
    request.log.info({ code: mapped.code, msg: mapped.message }, 'request rejected');
  }
}

/** 503s ask the client to come back: the OTLP exporters honour Retry-After. */
export function setRetryAfter(reply: FastifyReply, mapped: HttpError): void {
  if (mapped.status === 503 || mapped.status === 429) reply.header('retry-after', '1');
}

/** The JSON error handler and the 404 handler for every route but OTLP's. */
export function registerJsonErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const mapped = toHttpError(err, request);
    logHttpError(request, err, mapped);
    setRetryAfter(reply, mapped);
    return reply
      .code(mapped.status)
      .type('application/json; charset=utf-8')
      .send({ error: { code: mapped.code, message: mapped.message } });
  });
  app.setNotFoundHandler((request) => {
    throw new BootwatchError('BW_NOT_FOUND', `no route ${request.method} ${request.url}`);
  });
}
