// One request to the collector's JSON API, for the commands that talk to it (scan, verdict): the
// bearer token, a bounded wait, and an error answer turned into BW_API_REQUEST with the
// collector's own code and message.
import { BootwatchError, errorMessage } from '../shared/errors.js';

export interface Api {
  url: string;
  token: string | undefined;
}

export const DefaultCollectorUrl = 'http://127.0.0.1:4318';

/** Its JSON answer, or BW_API_REQUEST with its message (no answer, or an error status). */
export async function callApi(
  api: Api,
  path: string,
  init: RequestInit & { duplex?: 'half' } = {},
): Promise<unknown> {
  const target = new URL(path, api.url);
  let res: Response;
  try {
    res = await fetch(target, {
      ...init,
      headers: { ...(api.token ? { authorization: `Bearer ${api.token}` } : {}), ...init.headers },
      signal: AbortSignal.timeout(300_000),
    });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    throw new BootwatchError(
      'BW_API_REQUEST',
      `${target.href}: no answer: ${errorMessage(e)}${cause}`,
    );
  }
  const body = (await res.json().catch(() => null)) as {
    error?: { code?: string; message?: string };
  } | null;
  if (!res.ok) {
    const error = body?.error;
    throw new BootwatchError(
      'BW_API_REQUEST',
      `${target.href} answered ${res.status}: ${error ? `${error.code}: ${error.message}` : JSON.stringify(body)}`,
    );
  }
  return body as unknown;
}
