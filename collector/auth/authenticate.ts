// Who is calling: an agent (signed identity document or the shared bearer token) or an operator
// (the admin token). Pure over a header map, so the Fastify hooks that call it stay thin.
import { createHash, timingSafeEqual, type X509Certificate } from 'node:crypto';
import { IdentityHeader, ResourceAttr } from '../../shared/conventions.js';
import { BootwatchError, errorMessage } from '../../shared/errors.js';
import { verifyIdentityDocument, type IdentityDocument } from './identity.js';

export type HeaderMap = Record<string, string | string[] | undefined>;

export type AgentPrincipal =
  | { kind: 'identity'; document: IdentityDocument }
  | { kind: 'token' }
  /** Only from an authenticator built with allowAnonymous (local demo, tests). */
  | { kind: 'anonymous' };

export type AgentAuthenticator = (headers: HeaderMap) => Promise<AgentPrincipal>;

export interface AgentAuthOptions {
  /** Trusted AWS certificates (loadCertificates); null when identity verification is off. */
  certificates: readonly X509Certificate[] | null;
  /** BOOTWATCH_TOKEN; null when agents do not use a shared token. */
  token: string | null;
  /** Accept every agent when neither certificates nor token are set (never the default). */
  allowAnonymous?: boolean;
}

/** One header value; a header sent twice is refused rather than guessed at. */
function single(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) {
    if (value.length === 1) return value[0];
    throw new BootwatchError('BW_AUTH_INVALID', `header ${name} was sent ${value.length} times`);
  }
  return value;
}

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235). */
function bearerToken(headers: HeaderMap): string | undefined {
  const value = single(headers, 'authorization');
  if (value === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  if (m === null) {
    const scheme = value.trim().split(/\s+/)[0] ?? '';
    throw new BootwatchError(
      'BW_AUTH_INVALID',
      `authorization header uses scheme "${scheme.slice(0, 20)}", expected "Bearer <token>"`,
    );
  }
  return m[1];
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * A constant-time token check. Comparing SHA-256 digests gives timingSafeEqual inputs of equal
 * length, so neither the content nor the length of the configured token leaks through timing.
 */
function tokenMatcher(token: string, variable: string): (candidate: string) => boolean {
  if (token.trim() === '') {
    throw new BootwatchError('BW_CONFIG_INVALID', `${variable} is set but empty`);
  }
  const expected = digest(token);
  return (candidate) => timingSafeEqual(digest(candidate), expected);
}

export function createAgentAuthenticator(options: AgentAuthOptions): AgentAuthenticator {
  const { certificates, token } = options;
  if (certificates !== null && certificates.length === 0) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      'the identity certificate list is empty; give the AWS certificates or turn identity off',
    );
  }
  if (certificates === null && token === null && options.allowAnonymous !== true) {
    throw new BootwatchError(
      'BW_CONFIG_INVALID',
      'the collector would accept boot reports from anyone: set BOOTWATCH_TOKEN (shared bearer ' +
        'token) or an identity certificate folder (AWS public certificates for the signed ' +
        'instance identity document); allowAnonymous is for local demos and tests only',
    );
  }
  const matches = token === null ? null : tokenMatcher(token, 'BOOTWATCH_TOKEN');
  const accepted: string[] = [];
  if (certificates !== null) {
    const { document, signature, pkcs7 } = IdentityHeader;
    accepted.push(`a signed identity document (${document} with ${signature} or ${pkcs7})`);
  }
  if (matches !== null) accepted.push('"Authorization: Bearer <token>"');

  return async (headers) => {
    const documentB64 = single(headers, IdentityHeader.document);
    const signatureB64 = single(headers, IdentityHeader.signature);
    const pkcs7B64 = single(headers, IdentityHeader.pkcs7);
    const bearer = bearerToken(headers);

    // An identity that fails is refused even when a good token comes with it: a forged or
    // altered document is an attack, not a fallback case.
    if (certificates !== null && documentB64 !== undefined) {
      const document = await verifyIdentityDocument(
        { documentB64, signatureB64, pkcs7B64 },
        certificates,
      );
      return { kind: 'identity', document };
    }
    if (matches !== null && bearer !== undefined) {
      if (matches(bearer)) return { kind: 'token' };
      throw new BootwatchError('BW_AUTH_INVALID', 'the bearer token is not the configured token');
    }
    if (accepted.length === 0) return { kind: 'anonymous' };
    if (documentB64 === undefined && bearer === undefined) {
      throw new BootwatchError(
        'BW_AUTH_MISSING',
        `no credentials were sent; this collector accepts ${accepted.join(' or ')}`,
      );
    }
    const sent = documentB64 !== undefined ? 'an identity document' : 'a bearer token';
    throw new BootwatchError(
      'BW_AUTH_INVALID',
      `${sent} was sent, but this collector accepts only ${accepted.join(' or ')}`,
    );
  };
}

/**
 * An agent may report only its own boot: the report's host.id, host.image.id and (when it sends
 * one) cloud.account.id must be those of the signed identity document.
 */
export function checkBootAgainstIdentity(
  boot: { instanceId: string; amiId: string; accountId?: string },
  document: IdentityDocument,
): void {
  const differences: string[] = [];
  const compare = (attr: string, reported: string | undefined, signed: string) => {
    if (reported !== undefined && reported !== signed) {
      differences.push(`${attr} "${reported}" (signed: "${signed}")`);
    }
  };
  compare(ResourceAttr.hostId, boot.instanceId, document.instanceId);
  compare(ResourceAttr.imageId, boot.amiId, document.imageId);
  compare(ResourceAttr.cloudAccount, boot.accountId, document.accountId);
  if (differences.length > 0) {
    throw new BootwatchError(
      'BW_AUTH_MISMATCH',
      `the report names another instance, image or account than its signed identity: ${differences.join(', ')}`,
    );
  }
}

export type AdminAuthenticator = (headers: HeaderMap) => void;

/**
 * The admin API (image registry, maintenance) needs its own token. Without one the admin API is
 * closed, unless allowAnonymous opens it (local demos and tests).
 */
export function createAdminAuthenticator(
  adminToken: string | null,
  options: { allowAnonymous?: boolean } = {},
): AdminAuthenticator {
  if (adminToken === null) {
    return () => {
      if (options.allowAnonymous === true) return;
      throw new BootwatchError(
        'BW_AUTH_ADMIN',
        'the admin API is closed: the collector has no admin token (BOOTWATCH_ADMIN_TOKEN)',
      );
    };
  }
  const matches = tokenMatcher(adminToken, 'BOOTWATCH_ADMIN_TOKEN');
  return (headers) => {
    let bearer: string | undefined;
    try {
      bearer = bearerToken(headers);
    } catch (e) {
      throw new BootwatchError('BW_AUTH_ADMIN', errorMessage(e));
    }
    if (bearer === undefined) {
      throw new BootwatchError(
        'BW_AUTH_ADMIN',
        'the admin API needs "Authorization: Bearer <admin token>"',
      );
    }
    if (!matches(bearer)) {
      throw new BootwatchError('BW_AUTH_ADMIN', 'the bearer token is not the admin token');
    }
  };
}
