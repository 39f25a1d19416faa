// Who is calling: an agent (signed identity document or the shared bearer token) or an operator
// (the admin token). Pure over a header map, so the Fastify hooks that call it stay thin.
import { createHash, timingSafeEqual, type X509Certificate } from 'node:crypto';
import { IdentityHeader, ResourceAttr } from '../../shared/conventions.js';
import { ReportTimeBounds } from '../../shared/boot-report.js';
import { formatDuration } from '../../shared/duration.js';
import { BootwatchError, errorMessage } from '../../shared/errors.js';
import { rfc3339Ms } from '../../shared/rfc3339.js';
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

/** What a boot report or a heartbeat says that the signed identity document says too. */
export interface IdentityClaims {
  instanceId: string;
  amiId: string;
  accountId?: string;
  region?: string;
  availabilityZone?: string;
  instanceType?: string;
  launchedAt?: string;
  firstBoot?: boolean;
}

/**
 * An agent may report only its own boot: every field of the report that the identity document
 * signs must be the document's (the collector filled what the report left out with the
 * document's values, see collector/otlp/resource-facts.ts):
 * - instanceId, imageId, accountId, region, availabilityZone, instanceType: equal;
 * - pendingTime: a first boot's launchedAt is pendingTime (DESIGN.md), or up to
 *   ReportTimeBounds.aheadMs earlier: the agent takes the kernel's start instead when its clock
 *   puts that before pendingTime, which only a lagging instance clock does. A reboot's launchedAt
 *   (the kernel's start) comes after the launch, so it is not earlier than that either. Equality
 *   alone would refuse those agents; a day's tolerance would let a report move its boot by a day.
 * - architecture: not compared. The report carries host.arch from the operating system (`x64`,
 *   `amd64`) in another vocabulary than the document (`x86_64`), and nothing stored depends on it.
 * - privateIp, kernelId, ramdiskId, billing and marketplace product codes, version: not carried.
 */
export function checkBootAgainstIdentity(report: IdentityClaims, document: IdentityDocument): void {
  const differences: string[] = [];
  const compare = (attr: string, reported: string | undefined, signed: string) => {
    if (reported !== undefined && reported !== signed) {
      differences.push(`${attr} "${reported}" (signed: "${signed}")`);
    }
  };
  compare(ResourceAttr.hostId, report.instanceId, document.instanceId);
  compare(ResourceAttr.imageId, report.amiId, document.imageId);
  compare(ResourceAttr.cloudAccount, report.accountId, document.accountId);
  compare(ResourceAttr.cloudRegion, report.region, document.region);
  compare(ResourceAttr.cloudZone, report.availabilityZone, document.availabilityZone);
  compare(ResourceAttr.hostType, report.instanceType, document.instanceType);
  if (report.launchedAt !== undefined) {
    const launched = Date.parse(report.launchedAt);
    const pending = rfc3339Ms(document.pendingTime) ?? Number.NaN;
    const earliest = pending - ReportTimeBounds.aheadMs;
    const latest = report.firstBoot === false ? Infinity : pending;
    if (!(launched >= earliest && launched <= latest)) {
      const expected =
        report.firstBoot === false
          ? `a reboot: not before ${formatDuration(ReportTimeBounds.aheadMs)} before it`
          : `a first boot: at it, or up to ${formatDuration(ReportTimeBounds.aheadMs)} before`;
      differences.push(
        `${ResourceAttr.bootLaunchedAt} "${report.launchedAt}" (signed pendingTime: "${document.pendingTime}"; ${expected})`,
      );
    }
  }
  if (differences.length > 0) {
    throw new BootwatchError(
      'BW_AUTH_MISMATCH',
      `the report differs from its signed identity document: ${differences.join(', ')}`,
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
