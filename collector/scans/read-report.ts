// A scan report from a request body stream: decompressed when gzip, counted against the route's
// own limit after decompression (a report compresses 10-20x, and a gzip bomb must cost no more
// than the limit), and fed to the streaming reader chunk by chunk as it arrives.
//
// Listeners rather than `for await`: leaving an async iterator early destroys the request, and
// with it the socket the 413 or 400 answer has to go out on. On an error the listeners come off
// and the rest of the body stays unread; the route answers with `connection: close`.
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BootwatchError, errorMessage, isBootwatchError } from '../../shared/errors.js';
import { ScanReportReader, type ScanReport } from './report-reader.js';

export interface ReadReportOptions {
  /** The most bytes the report may have, after decompression. */
  limitBytes: number;
  /** The request's Content-Encoding: none, identity or gzip. */
  contentEncoding?: string;
}

export function readReportStream(body: Readable, options: ReadReportOptions): Promise<ScanReport> {
  const encoding = (options.contentEncoding ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    return Promise.reject(
      new BootwatchError(
        'BW_BAD_ENCODING',
        `Content-Encoding ${JSON.stringify(options.contentEncoding)} is not supported; send gzip or no Content-Encoding`,
      ),
    );
  }
  const gunzip = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : null;
  const source: Readable = gunzip ?? body;
  const reader = new ScanReportReader();
  let received = 0;

  return new Promise<ScanReport>((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, report?: ScanReport) => {
      if (settled) return;
      settled = true;
      source.removeListener('data', onData);
      source.removeListener('end', onEnd);
      source.removeListener('error', onError);
      body.removeListener('close', onClose);
      if (gunzip) {
        body.unpipe(gunzip);
        gunzip.destroy();
      }
      if (report) resolve(report);
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.limitBytes) {
        settle(
          new BootwatchError(
            'BW_BODY_TOO_LARGE',
            `the scan report is over the limit of ${options.limitBytes} bytes` +
              `${gunzip ? ' after decompression' : ''} (scan_body_limit)`,
          ),
        );
        return;
      }
      try {
        reader.write(chunk);
      } catch (e) {
        settle(e);
      }
    };
    const onEnd = () => {
      try {
        settle(null, reader.end());
      } catch (e) {
        settle(e);
      }
    };
    const onError = (e: unknown) =>
      settle(
        isBootwatchError(e)
          ? e
          : gunzip && e !== null && (e as { code?: unknown }).code !== 'ECONNRESET'
            ? new BootwatchError(
                'BW_BAD_ENCODING',
                `the gzip body does not decompress: ${errorMessage(e)}`,
              )
            : new BootwatchError(
                'BW_SCAN_JSON',
                `the body did not arrive whole: ${errorMessage(e)}`,
              ),
      );
    // A client that goes away mid-body: 'close' without 'end'.
    const onClose = () => {
      if (!body.readableEnded) {
        settle(
          new BootwatchError(
            'BW_SCAN_JSON',
            `the connection closed after ${received} bytes of the report`,
          ),
        );
      }
    };
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    body.on('close', onClose);
    if (gunzip) {
      body.on('error', (e) => gunzip.destroy(e));
      body.pipe(gunzip);
    }
  });
}
