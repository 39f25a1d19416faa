// The request body as the decoder needs it: decompressed, and never larger than the limit.
// OTLP/HTTP allows gzip or no compression ("Content-Encoding: gzip").
import { gunzipSync } from 'node:zlib';
import { BootwatchError, errorMessage } from '../../shared/errors.js';

/**
 * Returns the body decompressed. The limit applies to the decompressed size: gunzip stops one
 * byte past it, so a gzip bomb (50 MB of zeros is 50 kB compressed) costs at most limit+1 bytes.
 */
export function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  limitBytes: number,
): Buffer {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') {
    if (raw.length > limitBytes) {
      throw new BootwatchError(
        'BW_BODY_TOO_LARGE',
        `request body is ${raw.length} bytes, over the limit of ${limitBytes} bytes`,
      );
    }
    return raw;
  }
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new BootwatchError(
      'BW_BAD_ENCODING',
      `Content-Encoding ${JSON.stringify(contentEncoding)} is not supported; send gzip or no Content-Encoding`,
    );
  }
  let body: Buffer;
  try {
    body = gunzipSync(raw, { maxOutputLength: limitBytes + 1 });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(raw, limitBytes);
    throw new BootwatchError(
      'BW_BAD_ENCODING',
      `gzip body of ${raw.length} bytes does not decompress: ${errorMessage(e)}`,
      { cause: e },
    );
  }
  if (body.length > limitBytes) throw tooLarge(raw, limitBytes);
  return body;
}

function tooLarge(raw: Buffer, limitBytes: number): BootwatchError {
  return new BootwatchError(
    'BW_BODY_TOO_LARGE',
    `gzip body of ${raw.length} bytes decompresses to more than the limit of ${limitBytes} bytes`,
  );
}
