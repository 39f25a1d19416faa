// A fake EC2 Instance Metadata Service over real loopback HTTP, for the fleet simulator and the
// agent's tests (test/support/fake-imds.ts re-exports it). It behaves like IMDS where the agent can tell:
// - PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds in 1..21600 (else 400) and
//   refuses requests carrying X-Forwarded-For (403); the token expires after its TTL on `clock`.
// - GETs need a valid token (401 otherwise) unless `allowV1` (http-tokens optional); a token that
//   is sent must be valid even then.
// - `disabled`: 403 for everything. Unknown paths: 404. Other methods: 405.
// - Control: failNext() for 5xx or resets, deferListen/startDelayMs for an IMDS not up yet,
//   responseDelayMs for a slow one, revokeTokens(), setValue(); `requests` logs what came in.
// - Directories list their children one per line, sub-directories with a trailing '/', no final
//   newline: GET /latest/meta-data/ answers "ami-id\nplacement/\n...".
// Values are a map from full path ('/latest/meta-data/ami-id') to the body served.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { type Clock, systemClock } from '../shared/clock.js';

export interface FakeImdsOptions {
  /** Path -> body. Copied; change later with setValue(). */
  values?: Record<string, string>;
  /** '127.0.0.1' (default) or '::1'. */
  host?: '127.0.0.1' | '::1';
  /** Decides token expiry. Default: the system clock. */
  clock?: Clock;
  /** Answer GETs without a token (instance metadata option http-tokens=optional). Default false. */
  allowV1?: boolean;
  /** Answer 403 to everything (http-endpoint=disabled). Default false. */
  disabled?: boolean;
  /**
   * false: an IMDSv1-only emulator (older on-premises and other clouds' EC2-compatible services):
   * the token PUT answers 404 and GETs need no token. Default true.
   */
  tokenApi?: boolean;
  /** Largest TTL the token PUT accepts; EC2's is 21600. Lower it to provoke a 400. */
  maxTokenTtlSeconds?: number;
  /**
   * Simulates IMDS not up yet: the port is reserved, but nothing listens (connections are
   * refused) until this many ms have passed. See also `deferListen`.
   */
  startDelayMs?: number;
  /** Do not listen until listen() is called: connections are refused until then. */
  deferListen?: boolean;
  /** Answer every request after this many ms (a slow IMDS). Default 0. */
  responseDelayMs?: number;
}

export interface ImdsRequestRecord {
  method: string;
  path: string;
  /** Whether the request carried an X-aws-ec2-metadata-token header (valid or not). */
  hadToken: boolean;
  /** The status answered; 0 when the connection was reset instead. */
  status: number;
}

export interface FakeImds {
  /** Base URL to give the client, e.g. 'http://127.0.0.1:41234' or 'http://[::1]:41234'. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: ImdsRequestRecord[];
  /** Resolves once the server listens (at once, after startDelayMs, or after listen()). */
  readonly listening: Promise<void>;
  /** Starts listening on the reserved port (for `deferListen`); idempotent. */
  listen(): Promise<void>;
  close(): Promise<void>;
  setDisabled(disabled: boolean): void;
  setAllowV1(allow: boolean): void;
  setResponseDelay(ms: number): void;
  /** Sets a path's body; null removes it. */
  setValue(path: string, value: string | null): void;
  /** Replaces every path's body at once: the simulator lends one server to one instance at a time. */
  setValues(values: Record<string, string>): void;
  /** The next `count` requests get `status` (e.g. 503), or a reset connection with 'reset'. */
  failNext(count: number, status: number | 'reset'): void;
  /** Forgets every token issued, as IMDS does when the instance stops and starts. */
  revokeTokens(): void;
}

const TtlHeader = 'x-aws-ec2-metadata-token-ttl-seconds';
const TokenHeader = 'x-aws-ec2-metadata-token';

export async function startFakeImds(options: FakeImdsOptions = {}): Promise<FakeImds> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const maxTtl = options.maxTokenTtlSeconds ?? 21600;
  const values = new Map(Object.entries(options.values ?? {}));
  const tokens = new Map<string, number>(); // token -> expires at (clock ms)
  const requests: ImdsRequestRecord[] = [];
  let disabled = options.disabled ?? false;
  const tokenApi = options.tokenApi ?? true;
  let allowV1 = (options.allowV1 ?? false) || !tokenApi;
  let delayMs = options.responseDelayMs ?? 0;
  let failures: { count: number; status: number | 'reset' } = { count: 0, status: 0 };
  const timers = new Set<NodeJS.Timeout>();

  function decide(req: IncomingMessage, path: string): { status: number; body: string } {
    const token = req.headers[TokenHeader];
    const text = (status: number, body = '') => ({ status, body });
    if (disabled) return text(403);
    if (req.method === 'PUT' && path === '/latest/api/token' && tokenApi) {
      if (req.headers['x-forwarded-for'] !== undefined) return text(403);
      const ttl = String(req.headers[TtlHeader] ?? '');
      if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || Number(ttl) > maxTtl) return text(400);
      const value = randomBytes(42).toString('base64');
      tokens.set(value, clock.now() + Number(ttl) * 1000);
      return text(200, value);
    }
    if (!tokenApi && path === '/latest/api/token') return text(404);
    if (req.method !== 'GET' || path === '/latest/api/token') return text(405);
    if (token !== undefined) {
      const expiresAt = tokens.get(String(token));
      if (expiresAt === undefined || clock.now() >= expiresAt) return text(401);
    } else if (!allowV1) return text(401);
    const body = lookup(values, path);
    return body === null ? text(404) : text(200, body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    let path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      path = decodeURIComponent(path);
    } catch {
      // keep it raw: it will be a 404
    }
    const record: ImdsRequestRecord = {
      method: req.method ?? '',
      path,
      hadToken: req.headers[TokenHeader] !== undefined,
      status: 0,
    };
    requests.push(record);
    if (failures.count > 0) {
      failures.count--;
      if (failures.status === 'reset') {
        req.socket.destroy();
        return;
      }
      record.status = failures.status;
      res.writeHead(failures.status).end();
      return;
    }
    const respond = () => {
      // Decided when answering, so that a token can expire while a slow answer is pending.
      const { status, body } = decide(req, path);
      record.status = status;
      const headers: Record<string, string | number> = {
        'content-type': 'text/plain',
        'content-length': Buffer.byteLength(body),
        server: 'EC2ws',
      };
      if (status === 200 && req.method === 'PUT')
        headers[TtlHeader] = String(req.headers[TtlHeader]);
      res.writeHead(status, headers).end(body);
    };
    if (delayMs <= 0) return respond();
    const t = setTimeout(() => {
      timers.delete(t);
      respond();
    }, delayMs);
    timers.add(t);
  }

  const server = createServer(handle);
  const later = options.deferListen === true || (options.startDelayMs ?? 0) > 0;
  // A late start needs its port known up front; the small window in which another process could
  // take it is the price of refusing connections the way an absent IMDS does.
  let port = later ? await reservePort(host) : 0;
  let started: Promise<void> | null = null;
  let markListening: () => void = () => {};
  const listening = new Promise<void>((r) => (markListening = r));
  const listen = () =>
    (started ??= new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        if (address !== null && typeof address !== 'string') port = address.port;
        markListening();
        resolve();
      });
    }));
  let startTimer: NodeJS.Timeout | null = null;
  if (!later) await listen();
  else if (!options.deferListen) startTimer = setTimeout(() => void listen(), options.startDelayMs);

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    listening,
    listen,
    async close() {
      if (startTimer) clearTimeout(startTimer);
      for (const t of timers) clearTimeout(t);
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    setDisabled: (d) => void (disabled = d),
    setAllowV1: (a) => void (allowV1 = a),
    setResponseDelay: (ms) => void (delayMs = ms),
    setValue(path, value) {
      if (value === null) values.delete(path);
      else values.set(path, value);
    },
    setValues(next) {
      values.clear();
      for (const [path, value] of Object.entries(next)) values.set(path, value);
    },
    failNext: (count, status) => void (failures = { count, status }),
    revokeTokens: () => tokens.clear(),
  };
}

/** A path's body, or its directory listing, or null (404). */
function lookup(values: Map<string, string>, rawPath: string): string | null {
  const exact = values.get(rawPath);
  if (exact !== undefined) return exact;
  const dir = rawPath.endsWith('/') ? rawPath : `${rawPath}/`;
  const children = new Set<string>();
  for (const key of values.keys()) {
    if (!key.startsWith(dir) || key.length === dir.length) continue;
    const rest = key.slice(dir.length);
    const slash = rest.indexOf('/');
    children.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  return children.size === 0 ? null : [...children].sort().join('\n');
}

/** A free port on `host`, found by listening on port 0 and closing again. */
async function reservePort(host: string): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((r) => probe.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no port reserved');
  return address.port;
}

/** Whether this machine can listen on the IPv6 loopback (containers often lack it). */
export async function ipv6LoopbackAvailable(): Promise<boolean> {
  try {
    await reservePort('::1');
    return true;
  } catch {
    return false;
  }
}

/** What an instance is, for imdsValuesFor(). */
export interface FakeInstanceIdentity {
  instanceId: string;
  imageId: string;
  region: string;
  availabilityZone: string;
  accountId: string;
  instanceType: string;
  /** RFC 3339, e.g. '2024-05-01T12:00:00Z'. */
  pendingTime: string;
  architecture?: string;
  privateIp?: string;
  /** Instance tags; absent means tags in metadata are not enabled (their paths answer 404). */
  tags?: Record<string, string>;
}

export interface FakeSignedIdentity {
  /** The document's exact bytes, when a real signature covers them; default: formatted here. */
  documentRaw?: string;
  /** /latest/dynamic/instance-identity/signature; absent: 404. */
  signature?: string;
  /** /latest/dynamic/instance-identity/rsa2048; absent: 404. */
  rsa2048?: string;
  /** /latest/dynamic/instance-identity/pkcs7; absent: 404. */
  pkcs7?: string;
}

const IdentityPath = '/latest/dynamic/instance-identity';

/**
 * The identity document as EC2 formats it: keys in alphabetical order (but the product codes), two
 * spaces of indent, ' : ' between key and value, no final newline. The layout was read from the
 * signed payload of a real PKCS#7 signature (test/fixtures/real/imds, instance-identity-pkcs).
 */
export function formatIdentityDocument(identity: FakeInstanceIdentity): string {
  const fields: [string, string | null][] = [
    ['accountId', identity.accountId],
    ['architecture', identity.architecture ?? 'x86_64'],
    ['availabilityZone', identity.availabilityZone],
    ['billingProducts', null],
    ['devpayProductCodes', null],
    ['marketplaceProductCodes', null],
    ['imageId', identity.imageId],
    ['instanceId', identity.instanceId],
    ['instanceType', identity.instanceType],
    ['kernelId', null],
    ['pendingTime', identity.pendingTime],
    ['privateIp', identity.privateIp ?? '172.31.16.10'],
    ['ramdiskId', null],
    ['region', identity.region],
    ['version', '2017-09-30'],
  ];
  return `{\n${fields.map(([k, v]) => `  "${k}" : ${JSON.stringify(v)}`).join(',\n')}\n}`;
}

/** A consistent path -> value map for one instance: meta-data, identity document, tags. */
export function imdsValuesFor(
  identity: FakeInstanceIdentity,
  signed: FakeSignedIdentity = {},
): Record<string, string> {
  const md = '/latest/meta-data';
  const values: Record<string, string> = {
    [`${md}/ami-id`]: identity.imageId,
    [`${md}/ami-launch-index`]: '0',
    [`${md}/instance-id`]: identity.instanceId,
    [`${md}/instance-type`]: identity.instanceType,
    [`${md}/instance-life-cycle`]: 'on-demand',
    [`${md}/local-ipv4`]: identity.privateIp ?? '172.31.16.10',
    [`${md}/placement/availability-zone`]: identity.availabilityZone,
    [`${md}/placement/region`]: identity.region,
    [`${IdentityPath}/document`]: signed.documentRaw ?? formatIdentityDocument(identity),
  };
  if (signed.signature !== undefined) values[`${IdentityPath}/signature`] = signed.signature;
  if (signed.rsa2048 !== undefined) values[`${IdentityPath}/rsa2048`] = signed.rsa2048;
  if (signed.pkcs7 !== undefined) values[`${IdentityPath}/pkcs7`] = signed.pkcs7;
  for (const [key, value] of Object.entries(identity.tags ?? {})) {
    values[`${md}/tags/instance/${key}`] = value;
  }
  return values;
}
