import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { describe, expect, it } from 'vitest';
import {
  bootRejected,
  classifyExportError,
  isRetryable,
  partialSuccessOf,
} from '../../agent/export-answer.js';

/** A Node.js system error as the HTTP transport hands it over. */
function systemError(code: string, message = `connect ${code} 10.0.0.5:4318`): Error {
  return Object.assign(new Error(message), { code, syscall: 'connect' });
}

describe('classifyExportError', () => {
  it.each([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EAI_AGAIN',
    'ENOTFOUND',
    'EPIPE',
  ])('%s (a string code) is a connection error, retried', (code) => {
    const f = classifyExportError(systemError(code));
    expect(f).toMatchObject({ kind: 'connection', code });
    expect(isRetryable(f)).toBe(true);
  });

  it("'socket hang up' is a reset connection", () => {
    const f = classifyExportError(systemError('ECONNRESET', 'socket hang up'));
    expect(f).toEqual({
      kind: 'connection',
      code: 'ECONNRESET',
      message: 'ECONNRESET: socket hang up',
    });
  });

  it("the transport's own timeout is retried", () => {
    const f = classifyExportError(new Error('Request timed out'));
    expect(f).toEqual({ kind: 'timeout', message: 'Request timed out' });
    expect(isRetryable(f)).toBe(true);
  });

  it.each([408, 429, 500, 502, 503, 504])('HTTP %i (a number code) is retried', (status) => {
    const f = classifyExportError(new OTLPExporterError('x', status));
    expect(f).toMatchObject({ kind: 'unavailable', status });
    expect(isRetryable(f)).toBe(true);
  });

  it('a retryable status the exporter gave up on (it keeps no status) is retried', () => {
    const f = classifyExportError(new OTLPExporterError('Export failed with retryable status'));
    expect(f).toMatchObject({ kind: 'unavailable', status: null });
    expect(isRetryable(f)).toBe(true);
  });

  it("400 is a rejection of the data, with the collector's message", () => {
    const body = '{"code":3,"message":"metric bootwatch.boot.outcome: expected a sum"}';
    const f = classifyExportError(new OTLPExporterError('Bad Request', 400, body));
    expect(f).toEqual({
      kind: 'rejected',
      status: 400,
      message: 'HTTP 400 Bad Request: metric bootwatch.boot.outcome: expected a sum',
    });
    expect(isRetryable(f)).toBe(false);
  });

  it.each([401, 403, 404, 413])(
    'HTTP %i refuses the sender: kept, not retried in this run',
    (s) => {
      const f = classifyExportError(new OTLPExporterError('No', s, 'not json'));
      expect(f).toEqual({ kind: 'refused', status: s, message: `HTTP ${s} No: not json` });
      expect(isRetryable(f)).toBe(false);
    },
  );

  it('anything else is retried within the budget (a retry is safe: the collector dedups)', () => {
    const tls = classifyExportError(systemError('CERT_HAS_EXPIRED', 'certificate has expired'));
    expect(tls).toEqual({ kind: 'other', message: 'CERT_HAS_EXPIRED: certificate has expired' });
    expect(isRetryable(tls)).toBe(true);
    expect(classifyExportError(undefined)).toEqual({ kind: 'other', message: 'export failed' });
  });
});

describe('partialSuccessOf', () => {
  it('reads int64 counts written as strings (protobuf JSON) or numbers', () => {
    const m = 'host.image.id (amiId): Expected required property';
    expect(
      partialSuccessOf({ partialSuccess: { rejectedDataPoints: '10', errorMessage: m } }),
    ).toEqual({ rejectedDataPoints: 10, errorMessage: m });
    expect(partialSuccessOf({ partialSuccess: { rejectedDataPoints: 3 } })).toEqual({
      rejectedDataPoints: 3,
      errorMessage: '',
    });
  });

  it('a warning is a partial success with nothing rejected', () => {
    expect(partialSuccessOf({ partialSuccess: { errorMessage: 'slow down' } })).toEqual({
      rejectedDataPoints: 0,
      errorMessage: 'slow down',
    });
  });

  it('is null for a full success', () => {
    for (const body of [{}, { partialSuccess: {} }, { partialSuccess: null }, undefined, 'x'])
      expect(partialSuccessOf(body)).toBeNull();
    expect(partialSuccessOf({ partialSuccess: { rejectedDataPoints: '0' } })).toBeNull();
  });
});

describe('bootRejected', () => {
  const points = { total: 10, phases: 8 };
  const p = (n: number) => ({ rejectedDataPoints: n, errorMessage: '' });

  it('the whole boot, or any more than its phases, is a lost boot', () => {
    expect(bootRejected(p(10), points)).toBe(true);
    expect(bootRejected(p(9), points)).toBe(true);
  });

  it('phases alone, or a warning, leave the boot stored', () => {
    expect(bootRejected(p(8), points)).toBe(false);
    expect(bootRejected(p(1), points)).toBe(false);
    expect(bootRejected(p(0), points)).toBe(false);
  });
});
