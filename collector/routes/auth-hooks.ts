// The credentials each kind of route accepts, from the configuration. The rules:
//   - agent intake (/v1/metrics) needs a signed identity document or the agent token, unless
//     allow_anonymous is set (a lab, a local demo);
//   - events need the agent or the admin token (EventBridge API destinations send one);
//   - the read API (GET /api/v1/...) needs the read token or the admin token whenever any
//     credential is configured, unless open_reads says otherwise. The agent token never reads:
//     it is on every instance, and the read API names instances and accounts;
//   - admin writes (the image registry) need the admin token.
// /metrics, /healthz and /readyz are open: Prometheus and load balancers scrape without a token,
// and /metrics holds counts per AMI version, region, group and type, no instance or account id.
import type { X509Certificate } from 'node:crypto';
import {
  createAdminAuthenticator,
  createAgentAuthenticator,
  type AdminAuthenticator,
  type HeaderMap,
} from '../auth/authenticate.js';
import { BootwatchError } from '../../shared/errors.js';
import type { CollectorConfig } from '../config.js';
import type { RouteAuth } from './context.js';

type Certificates = readonly X509Certificate[] | null;

/** How the read API is guarded; `closed` when credentials exist but none of them reads. */
type ReadPolicy = 'open-lab' | 'open-by-setting' | 'tokens' | 'closed';

function readPolicy(config: CollectorConfig, certificates: Certificates): ReadPolicy {
  if (config.openReads) return 'open-by-setting';
  if (config.readToken !== null || config.adminToken !== null) return 'tokens';
  const anyCredential = config.token !== null || certificates !== null;
  return anyCredential ? 'closed' : 'open-lab';
}

/** What each group of routes needs, for the startup log; `open` in it means anyone who can connect. */
export function routeAccess(
  config: CollectorConfig,
  certificates: Certificates,
): Record<string, string> {
  const agent = [
    certificates !== null ? 'a signed identity document' : null,
    config.token !== null ? 'the agent token' : null,
  ].filter((x) => x !== null);
  const eventTokens = [
    config.token !== null ? 'the agent token' : null,
    config.adminToken !== null ? 'the admin token' : null,
  ].filter((x) => x !== null);
  const lab = 'open (allow_anonymous)';
  const reads: Record<ReadPolicy, string> = {
    'open-lab': 'open (no credential is configured)',
    'open-by-setting': 'open (open_reads)',
    tokens: [
      config.readToken !== null ? 'the read token' : null,
      config.adminToken !== null ? 'the admin token' : null,
    ]
      .filter((x) => x !== null)
      .join(' or '),
    closed: 'closed (no read or admin token is configured)',
  };
  return {
    'POST /v1/metrics': agent.length > 0 ? agent.join(' or ') : lab,
    'POST /v1/events':
      eventTokens.length > 0 ? eventTokens.join(' or ') : config.allowAnonymous ? lab : 'closed',
    'GET /api/v1/*': reads[readPolicy(config, certificates)],
    // Every write of the API: images, their scans, rollouts and what a pipeline did with them.
    'POST /api/v1/*':
      config.adminToken !== null ? 'the admin token' : config.allowAnonymous ? lab : 'closed',
    'GET /metrics, /healthz, /readyz': 'open',
  };
}

/** True when the read API answers anyone although credentials guard other routes: worth a warning. */
export function readsOpenDespiteCredentials(
  config: CollectorConfig,
  certificates: Certificates,
): boolean {
  const anyCredential =
    config.token !== null ||
    config.adminToken !== null ||
    config.readToken !== null ||
    certificates !== null;
  return anyCredential && readPolicy(config, certificates) === 'open-by-setting';
}

export function buildRouteAuth(config: CollectorConfig, certificates: Certificates): RouteAuth {
  // Said here, in the settings' own names: the authenticator below only knows its options.
  if (certificates === null && config.token === null && !config.allowAnonymous) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      'the collector would accept boot reports from anyone: set BOOTWATCH_TOKEN (token: a shared ' +
        'bearer token) or BOOTWATCH_IDENTITY_CERT_DIR (identity_cert_dir: the AWS public ' +
        'certificates that verify signed instance identity documents); ' +
        'BOOTWATCH_ALLOW_ANONYMOUS=true (allow_anonymous) is for a lab or a local demo only',
    );
  }
  // Throws BW_CONFIG_INVALID at startup when the certificate list is empty.
  const agent = createAgentAuthenticator({
    certificates,
    token: config.token,
    allowAnonymous: config.allowAnonymous,
  });
  const admin = createAdminAuthenticator(config.adminToken, {
    allowAnonymous: config.allowAnonymous,
  });
  const agentToken =
    config.token === null
      ? null
      : createAgentAuthenticator({ certificates: null, token: config.token });

  return {
    agent,
    read: buildReadCheck(config, certificates),
    adminWrite: admin,
    async events(headers: HeaderMap) {
      if (config.adminToken === null && agentToken === null) {
        if (config.allowAnonymous) return;
        throw new BootwatchError(
          'BW_AUTH_MISSING',
          'events need a bearer token, and the collector has none: set BOOTWATCH_TOKEN or BOOTWATCH_ADMIN_TOKEN',
        );
      }
      if (config.adminToken !== null) {
        try {
          admin(headers);
          return;
        } catch (e) {
          if (agentToken === null) throw e;
        }
      }
      if (agentToken !== null) await agentToken(headers);
    },
  };
}

function buildReadCheck(config: CollectorConfig, certificates: Certificates): AdminAuthenticator {
  const policy = readPolicy(config, certificates);
  if (policy === 'open-lab' || policy === 'open-by-setting') return () => undefined;
  if (policy === 'closed') {
    return () => {
      throw new BootwatchError(
        'BW_AUTH_READ',
        'the read API is closed: the collector has no read token (BOOTWATCH_READ_TOKEN) and no ' +
          'admin token (BOOTWATCH_ADMIN_TOKEN); set one, or BOOTWATCH_OPEN_READS=true to let ' +
          'anyone who can reach the collector read it',
      );
    };
  }
  // Constant-time bearer checks, one per token that reads (their own errors are not reused: they
  // speak of the admin API).
  const checks = [config.readToken, config.adminToken]
    .filter((t) => t !== null)
    .map((t) => createAdminAuthenticator(t));
  return (headers) => {
    if (headers.authorization === undefined) {
      throw new BootwatchError(
        'BW_AUTH_READ',
        'the read API needs "Authorization: Bearer <token>" with the read token ' +
          '(BOOTWATCH_READ_TOKEN) or the admin token',
      );
    }
    for (const check of checks) {
      try {
        check(headers);
        return;
      } catch {
        // the next token may be the one
      }
    }
    throw new BootwatchError(
      'BW_AUTH_READ',
      'the bearer token is neither the read token nor the admin token',
    );
  };
}
