// How errors reach HTTP clients: one mapping from anything thrown to a status, a code from
// shared/errors.ts and a message; JSON `{ error: { code, message } }` everywhere, except the OTLP
// route, which answers a google.rpc.Status (routes/otlp.ts). Stacks and unexpected messages stay in
// the log: a client sees BW_INTERNAL and the request id to look for.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
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

/** One ajv error, as Fastify hands them over (`verbose: true` in server.ts adds data and schemas). */
interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
  /** The value that failed (verbose). */
  data?: unknown;
  /** The failing keyword's value, e.g. the branches of an anyOf (verbose). */
  schema?: unknown;
  /** The schema holding that keyword, e.g. the object of an additionalProperties (verbose). */
  parentSchema?: { properties?: Record<string, unknown> };
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
      message: validationMessage(fe.validationContext ?? 'body', fe.validation),
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

/**
 * One line that names the field, what it accepts and what was received, for every route's schema:
 * `querystring/reason: expected one of none, cloud_init_error, ..., got 'bogus'` where ajv says
 * `must be equal to constant` once per allowed value and then `must match a schema in anyOf`.
 */
export function validationMessage(context: string, issues: readonly ValidationIssue[]): string {
  const first = issues[0]!;
  // A union of literals fails branch by branch before the anyOf itself: answer with the anyOf.
  const issue =
    issues.find((i) => i.keyword === 'anyOf' && i.instancePath === first.instancePath) ?? first;
  const path = `${context}${issue.instancePath ?? ''}`;
  const params = issue.params ?? {};
  if (issue.keyword === 'additionalProperties') {
    const known = Object.keys(issue.parentSchema?.properties ?? {});
    const expected = known.length > 0 ? `; expected one of ${known.join(', ')}` : '';
    return `${path}: unknown field '${String(params.additionalProperty)}'${expected}`;
  }
  if (issue.keyword === 'required') {
    return `${path}/${String(params.missingProperty)}: expected a value, got nothing`;
  }
  return `${path}: expected ${expectation(issue)}, got ${received(issue.data)}`;
}

/** What the failing keyword accepts, in words; ajv's own message for keywords not listed. */
function expectation(issue: ValidationIssue): string {
  const p = issue.params ?? {};
  const values = (list: readonly unknown[]) => `one of ${list.map(String).join(', ')}`;
  switch (issue.keyword) {
    case 'anyOf': {
      const branches = Array.isArray(issue.schema) ? (issue.schema as { const?: unknown }[]) : [];
      if (branches.length > 0 && branches.every((b) => b.const !== undefined)) {
        return values(branches.map((b) => b.const));
      }
      return 'a value of one of the accepted forms';
    }
    case 'enum':
      return values((p.allowedValues as unknown[] | undefined) ?? []);
    case 'const':
      return received(p.allowedValue);
    case 'type':
      return `${/^[aeiou]/.test(String(p.type)) ? 'an' : 'a'} ${String(p.type)}`;
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return `a number ${String(p.comparison)} ${String(p.limit)}`;
    case 'minLength':
      return p.limit === 1 ? 'a non-empty string' : `at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `at most ${String(p.limit)} characters`;
    case 'maxProperties':
      return `at most ${String(p.limit)} fields`;
    case 'pattern':
      return `a value matching ${String(p.pattern)}`;
    case 'format':
      return `a ${String(p.format)}`;
    default:
      return (issue.message ?? 'a valid value').replace(/^must (be )?/, '');
  }
}

/** The received value as the client sent it, cut short; never more than 100 characters. */
function received(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    return `'${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value).slice(1, -1)}'`;
  }
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
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

/**
 * Errors Node raises before a request reaches Fastify's routes (the `clientError` event): a request
 * that did not arrive within body_timeout (408), headers over Node's limit (431), bytes that are not
 * HTTP (400). Answered in our JSON shape, then the connection is closed.
 */
export function answerClientError(
  this: FastifyInstance,
  err: NodeJS.ErrnoException,
  socket: Socket,
): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = clientErrorAnswer(err);
  // Debug only: a client that times out is the client's problem, and an attacker's would flood the log.
  this.log.debug({ err, code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

function clientErrorAnswer(err: NodeJS.ErrnoException): HttpError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const message = 'the request did not arrive within body_timeout; send it again, faster';
    return { status: 408, code: 'BW_REQUEST_TIMEOUT', message };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, code: 'BW_HTTP_INVALID', message: 'the request headers are over 16 KiB' };
  }
  const message = `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`;
  return { status: 400, code: 'BW_HTTP_INVALID', message };
}
