// The credentials each kind of route accepts, from the configuration. The rule: writes need a
// credential unless allow_anonymous is set (local demos, tests); reads of the API need the admin
// token when one is configured.
import type { X509Certificate } from 'node:crypto';
import {
  createAdminAuthenticator,
  createAgentAuthenticator,
  type HeaderMap,
} from '../auth/authenticate.js';
import { BootwatchError } from '../../shared/errors.js';
import type { CollectorConfig } from '../config.js';
import type { RouteAuth } from './context.js';

export function buildRouteAuth(
  config: CollectorConfig,
  certificates: readonly X509Certificate[] | null,
): RouteAuth {
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
    read(headers) {
      if (config.adminToken !== null) admin(headers);
    },
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
