import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../../collector/otlp/body.js';
import { BootwatchError } from '../../../shared/errors.js';

const MiB = 1024 * 1024;

function bodyError(raw: Buffer, encoding: string | undefined, limit: number): BootwatchError {
  try {
    decodeBody(raw, encoding, limit);
  } catch (e) {
    if (e instanceof BootwatchError) return e;
    throw e;
  }
  throw new Error('expected decodeBody to refuse the body');
}

describe('decodeBody', () => {
  const text = Buffer.from('{"resourceMetrics":[]}');

  it.each([undefined, '', 'identity', ' Identity '])('passes %j through unchanged', (encoding) => {
    expect(decodeBody(text, encoding, 1024)).toBe(text);
  });

  it('gunzips a gzip body (any case)', () => {
    expect(decodeBody(gzipSync(text), 'gzip', 1024)).toEqual(text);
    expect(decodeBody(gzipSync(text), 'GZIP', 1024)).toEqual(text);
  });

  it('accepts a body exactly at the limit, decompressed or not', () => {
    const exact = Buffer.alloc(4096, 'a');
    expect(decodeBody(exact, undefined, 4096)).toBe(exact);
    expect(decodeBody(gzipSync(exact), 'gzip', 4096)).toEqual(exact);
  });

  it('refuses an uncompressed body over the limit with both sizes', () => {
    const e = bodyError(Buffer.alloc(4097), undefined, 4096);
    expect(e.code).toBe('BW_BODY_TOO_LARGE');
    expect(e.statusCode).toBe(413);
    expect(e.message).toBe('request body is 4097 bytes, over the limit of 4096 bytes');
  });

  it('stops a gzip bomb at the limit instead of inflating it', () => {
    const bomb = gzipSync(Buffer.alloc(50 * MiB));
    expect(bomb.length).toBeLessThan(MiB / 10);
    const e = bodyError(bomb, 'gzip', MiB);
    expect(e.code).toBe('BW_BODY_TOO_LARGE');
    expect(e.statusCode).toBe(413);
    // "more than": it never learned the full size, because it stopped at limit + 1 bytes
    expect(e.message).toBe(
      `gzip body of ${bomb.length} bytes decompresses to more than the limit of ${MiB} bytes`,
    );
  });

  it('refuses a gzip body one byte over the limit', () => {
    const e = bodyError(gzipSync(Buffer.alloc(4097)), 'gzip', 4096);
    expect(e.code).toBe('BW_BODY_TOO_LARGE');
  });

  it.each([
    ['not gzip at all', Buffer.from('plain text, not gzip'), /incorrect header check/],
    [
      'truncated gzip',
      gzipSync(Buffer.alloc(10_000, 'x')).subarray(0, 20),
      /unexpected end of file/,
    ],
  ])('refuses %s as a bad encoding', (_, raw, detail) => {
    const e = bodyError(raw, 'gzip', MiB);
    expect(e.code).toBe('BW_BAD_ENCODING');
    expect(e.statusCode).toBe(400);
    expect(e.message).toMatch(
      new RegExp(`^gzip body of ${raw.length} bytes does not decompress: `),
    );
    expect(e.message).toMatch(detail);
  });

  it.each(['br', 'deflate', 'gzip, br', 'zstd'])('refuses Content-Encoding %s', (encoding) => {
    const e = bodyError(text, encoding, MiB);
    expect(e.code).toBe('BW_BAD_ENCODING');
    expect(e.message).toBe(
      `Content-Encoding ${JSON.stringify(encoding)} is not supported; send gzip or no Content-Encoding`,
    );
  });
});
