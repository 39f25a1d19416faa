// Errors of the socket and the resolver, for the agent's two HTTP clients (IMDS and the collector).
import { errorMessage } from '../shared/errors.js';

/**
 * Codes that a peer coming back (or a network still coming up at boot) cures. 'socket hang up' is
 * ECONNRESET. TLS errors are not here: a certificate does not fix itself between two attempts.
 */
const ConnectionErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The string code of a Node.js system error ('ECONNREFUSED'); null for anything else. */
export function networkErrorCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** The code of an error saying the peer could not be reached (not what it answered); else null. */
export function connectionErrorCode(e: unknown): string | null {
  const code = networkErrorCode(e);
  return code !== null && ConnectionErrorCodes.has(code) ? code : null;
}

/** The error's message with its code in front when the message does not say it already. */
export function describeNetworkError(e: unknown): string {
  const code = networkErrorCode(e);
  const msg = errorMessage(e);
  return code !== null && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
