// IMDSv2 client for the agent. It runs on every boot, often before the network is fully up, so it
// retries what EC2 does while IMDS is starting (refused connections, resets, timeouts, 5xx) within
// one time budget, and fails fast on answers that will not change (403 disabled, 400, 404).
// node:http rather than fetch: fetch lazily loads undici, which costs the boot tens of milliseconds.
import { Agent, request, type IncomingMessage } from 'node:http';
import { type Clock, systemClock } from '../shared/clock.js';
import { BootwatchError, errorMessage } from '../shared/errors.js';
import { backoffDelayMs } from './backoff.js';
import { describeNetworkError } from './network-error.js';

export interface ImdsClientOptions {
  /** Base URL: `http://169.254.169.254` (default), `http://[fd00:ec2::254]`, or a test server. */
  endpoint?: string;
  /** Token lifetime asked for in the PUT, seconds, 1..21600. Default 21600 (6 h, the maximum). */
  tokenTtlSeconds?: number;
  /** Per HTTP request, ms. Default 1000. */
  perRequestTimeoutMs?: number;
  /** First backoff ceiling, ms; doubles per attempt up to maxBackoffMs. Default 100. */
  initialBackoffMs?: number;
  /** Backoff ceiling, ms. Default 2000. */
  maxBackoffMs?: number;
  /**
   * Retry budget of the whole client, ms: the time all calls together may lose to failed attempts
   * and backoff while IMDS is not up. Default 30000. Successful requests do not count; a request
   * started inside the budget may run its own timeout past it.
   */
  totalBudgetMs?: number;
  /** Use IMDSv1 (no token) when the token PUT is not supported. Default false: v1 is SSRF-prone. */
  allowV1?: boolean;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** 0 <= random() < 1, for the backoff jitter. */
  random?: () => number;
  log?: (msg: string) => void;
}

export interface ImdsClient {
  /** The body of a path such as `/latest/meta-data/ami-id`; null when IMDS answers 404. */
  get(path: string): Promise<string | null>;
  /** get() parsed as JSON (unchecked: validate the result); null on 404. */
  getJson<T = unknown>(path: string): Promise<T | null>;
  /** Drops the kept-alive connection. The client is unusable afterwards. */
  close(): void;
}

export const DefaultImdsEndpoint = 'http://169.254.169.254';
export const MaxTokenTtlSeconds = 21600;
const TokenPath = '/latest/api/token';
const TtlHeader = 'x-aws-ec2-metadata-token-ttl-seconds';
const TokenHeader = 'x-aws-ec2-metadata-token';
/** The largest IMDS value is user data (16 KiB); anything far beyond it is not IMDS. */
const MaxBodyBytes = 1 << 20;

/** A failure worth retrying: IMDS is not up yet, or is briefly overloaded. */
class Transient extends Error {}

interface Answer {
  status: number;
  body: string;
}

export function createImdsClient(options: ImdsClientOptions = {}): ImdsClient {
  const o = validateOptions(options);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });

  let mode: 'v2' | 'v1' = 'v2';
  let token: { value: string; refreshAt: number } | null = null;
  let tokenInFlight: Promise<string | null> | null = null;
  // Time lost to IMDS not answering (failed attempts and backoff sleeps), all calls together: a
  // dead IMDS costs the boot one budget, not one per path. Once it is spent, calls try just once.
  let spentMs = 0;

  function send(method: string, path: string, headers: Record<string, string>): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(o.endpoint + path),
        { method, headers, agent },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MaxBodyBytes) {
              req.destroy(
                new BootwatchError(
                  'BW_IMDS_BAD_RESPONSE',
                  `IMDS at ${o.endpoint} sent more than ${MaxBodyBytes} bytes for ${path}`,
                ),
              );
            } else chunks.push(c);
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', fail);
        },
      );
      const timer = setTimeout(
        () => req.destroy(new Transient(`timed out after ${o.perRequestTimeoutMs} ms`)),
        o.perRequestTimeoutMs,
      );
      function fail(e: unknown) {
        clearTimeout(timer);
        if (e instanceof BootwatchError || e instanceof Transient) reject(e);
        else reject(new Transient(describeNetworkError(e)));
      }
      req.on('error', fail);
      req.end();
    });
  }

  function transientStatus(status: number): boolean {
    return status >= 500 || status === 429;
  }

  function disabled(what: string): BootwatchError {
    return new BootwatchError(
      'BW_IMDS_DISABLED',
      `IMDS at ${o.endpoint} answered 403 to ${what}: the metadata service is disabled for this instance`,
    );
  }

  async function fetchToken(): Promise<string | null> {
    const sentAt = clock.now();
    const what = `PUT ${TokenPath} (ttl ${o.ttl} s)`;
    const a = await send('PUT', TokenPath, { [TtlHeader]: String(o.ttl) });
    if (a.status === 200 && a.body.trim() !== '') {
      const ttlMs = o.ttl * 1000;
      // Refresh ahead of expiry so that a request in flight never carries a token about to lapse.
      token = { value: a.body.trim(), refreshAt: sentAt + ttlMs - Math.min(60_000, ttlMs / 4) };
      return token.value;
    }
    if (transientStatus(a.status)) throw new Transient(`${what} answered ${a.status}`);
    if (a.status === 403) throw disabled(what);
    if (a.status === 400 || a.status === 200) {
      throw new BootwatchError(
        'BW_IMDS_BAD_RESPONSE',
        `IMDS at ${o.endpoint} answered ${a.status} to ${what}` +
          (a.status === 200 ? ' with an empty token' : `: expected 200 with a token`),
      );
    }
    if (o.allowV1) {
      mode = 'v1';
      log(`IMDS at ${o.endpoint} answered ${a.status} to the token PUT; using IMDSv1 (allowV1)`);
      return null;
    }
    throw new BootwatchError(
      'BW_IMDS_BAD_RESPONSE',
      `IMDS at ${o.endpoint} answered ${a.status} to ${what}: expected 200 with an IMDSv2 token ` +
        `(IMDSv1 fallback is off; set allowV1 to use it)`,
    );
  }

  /** The current token, fetching one (shared by concurrent callers) when absent or due. */
  function currentToken(): Promise<string | null> {
    if (mode === 'v1') return Promise.resolve(null);
    if (token && clock.now() < token.refreshAt) return Promise.resolve(token.value);
    tokenInFlight ??= fetchToken().finally(() => {
      tokenInFlight = null;
    });
    return tokenInFlight;
  }

  async function attemptGet(path: string): Promise<string | null> {
    let used = await currentToken();
    for (let refreshed = false; ; refreshed = true) {
      const a = await send('GET', path, used === null ? {} : { [TokenHeader]: used });
      if (a.status === 200) return a.body;
      if (a.status === 404) return null;
      if (a.status === 403) throw disabled(`GET ${path}`);
      if (transientStatus(a.status)) throw new Transient(`GET ${path} answered ${a.status}`);
      if (a.status === 401 && used !== null && !refreshed) {
        // Expired or revoked (IMDS restarted): refresh once. A concurrent caller may have already.
        if (token?.value === used) token = null;
        log(`IMDS rejected the token for GET ${path} (401); fetching a new one`);
        used = await currentToken();
        continue;
      }
      throw new BootwatchError(
        'BW_IMDS_BAD_RESPONSE',
        `IMDS at ${o.endpoint} answered ${a.status} to GET ${path}` +
          (a.status === 401
            ? used === null
              ? ': it requires a token, but the token PUT was not supported'
              : ' even with a freshly issued token'
            : ': expected 200 or 404'),
      );
    }
  }

  async function withRetries<T>(what: string, op: () => Promise<T>): Promise<T> {
    // Bounded by attempts as well as by the clock, so that a clock that stands still cannot spin.
    const maxAttempts = Math.ceil(o.budget / (o.initialBackoff / 2)) + 1;
    let last = '';
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const began = clock.now();
      try {
        const result = await op();
        if (attempt > 0)
          log(`IMDS at ${o.endpoint} answered ${what} after ${attempt + 1} attempts`);
        return result;
      } catch (e) {
        if (!(e instanceof Transient)) throw e;
        last = e.message;
        spentMs += Math.max(0, clock.now() - began);
      }
      const remaining = o.budget - spentMs;
      if (remaining <= 0 || attempt + 1 >= maxAttempts) break;
      if (attempt === 0) log(`IMDS at ${o.endpoint} not answering yet (${last}); retrying`);
      const delay = Math.min(
        remaining,
        backoffDelayMs(attempt, o.initialBackoff, o.maxBackoff, random),
      );
      const slept = clock.now();
      await sleep(delay);
      spentMs += Math.max(delay, clock.now() - slept);
    }
    throw new BootwatchError(
      'BW_IMDS_UNREACHABLE',
      `IMDS at ${o.endpoint} did not answer ${what}: ${Math.round(spentMs)} ms of the ` +
        `${o.budget} ms retry budget used; last error: ${last}`,
    );
  }

  const get = (path: string) => withRetries(`GET ${checkPath(path)}`, () => attemptGet(path));
  return {
    get,
    async getJson<T>(path: string): Promise<T | null> {
      const body = await get(path);
      if (body === null) return null;
      try {
        return JSON.parse(body) as T;
      } catch (e) {
        throw new BootwatchError(
          'BW_IMDS_BAD_RESPONSE',
          `IMDS at ${o.endpoint} served ${path} as '${body.slice(0, 80)}': expected JSON (${errorMessage(e)})`,
        );
      }
    },
    close: () => agent.destroy(),
  };
}

function checkPath(path: string): string {
  if (!path.startsWith('/')) {
    throw new BootwatchError('BW_CONFIG_INVALID', `IMDS path must start with '/', got '${path}'`);
  }
  return path;
}

function validateOptions(opts: ImdsClientOptions) {
  const invalid = (field: string, value: unknown, expected: string) =>
    new BootwatchError(
      'BW_CONFIG_INVALID',
      `imds.${field}: expected ${expected}, got ${JSON.stringify(value)}`,
    );
  const endpoint = (opts.endpoint ?? DefaultImdsEndpoint).replace(/\/+$/, '');
  let url: URL | null = null;
  try {
    url = new URL(endpoint);
  } catch {
    url = null;
  }
  if (!url || url.protocol !== 'http:' || url.pathname !== '/' || url.search || url.hash) {
    throw invalid('endpoint', opts.endpoint, 'an http:// base URL without a path');
  }
  const ttl = opts.tokenTtlSeconds ?? MaxTokenTtlSeconds;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MaxTokenTtlSeconds) {
    throw invalid('tokenTtlSeconds', ttl, `an integer from 1 to ${MaxTokenTtlSeconds}`);
  }
  const positive = (field: keyof ImdsClientOptions, fallback: number): number => {
    const v = opts[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw invalid(field, v, 'a positive number of milliseconds');
    }
    return v;
  };
  return {
    endpoint,
    ttl,
    perRequestTimeoutMs: positive('perRequestTimeoutMs', 1000),
    initialBackoff: positive('initialBackoffMs', 100),
    maxBackoff: positive('maxBackoffMs', 2000),
    budget: positive('totalBudgetMs', 30_000),
    allowV1: opts.allowV1 ?? false,
  };
}
