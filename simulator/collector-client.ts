// What the simulator sends to a collector besides agent reports, and what it reads back: image
// registrations (POST /api/v1/images), EventBridge launch events (POST /v1/events), and the
// per-version statistics (GET /api/v1/images). A refusal is BW_SIMULATION_TARGET with the answer.
import type { VersionStats } from '../collector/routes/image-stats.js';
import type { SloReport } from '../collector/slo/report.js';
import { BootwatchError, errorMessage } from '../shared/errors.js';

export interface CollectorTarget {
  url: string;
  /** Agent token (events accept it too); null when the collector takes anonymous requests. */
  token: string | null;
  /** Admin token for the image registry and the read API; null when not needed. */
  adminToken: string | null;
}

export interface ImageRegistration {
  amiId: string;
  region: string;
  name: string;
  version: string;
  build: Record<string, string>;
}

/** EventBridge API destinations put at most a few events in one request; the collector takes 1000. */
export const EventsPerRequest = 500;

async function call(
  target: CollectorTarget,
  method: 'GET' | 'POST',
  path: string,
  bearer: string | null,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${target.url.replace(/\/+$/, '')}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new BootwatchError(
      'BW_SIMULATION_TARGET',
      `${method} ${path} to ${target.url}: ${errorMessage(e)}`,
    );
  }
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the message
  }
  return { status: res.status, json };
}

function refused(path: string, status: number, json: unknown, expected: number): BootwatchError {
  const answer = typeof json === 'string' ? json : JSON.stringify(json);
  return new BootwatchError(
    'BW_SIMULATION_TARGET',
    `POST ${path} answered ${status}, expected ${expected}: ${answer.slice(0, 300)}`,
  );
}

export async function registerImages(
  target: CollectorTarget,
  images: readonly ImageRegistration[],
): Promise<void> {
  for (const image of images) {
    const { status, json } = await call(target, 'POST', '/api/v1/images', target.adminToken, image);
    if (status !== 201) throw refused('/api/v1/images', status, json, 201);
  }
}

/** Sends events in requests of EventsPerRequest; returns how many the collector took as new. */
export async function postEvents(
  target: CollectorTarget,
  events: readonly unknown[],
): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < events.length; i += EventsPerRequest) {
    const batch = events.slice(i, i + EventsPerRequest);
    const bearer = target.token ?? target.adminToken;
    const { status, json } = await call(target, 'POST', '/v1/events', bearer, batch);
    if (status !== 200) throw refused('/v1/events', status, json, 200);
    accepted += Number((json as { accepted?: number }).accepted ?? 0);
  }
  return accepted;
}

/** GET /api/v1/images?since=<window>: per-version statistics, newest version first. */
export async function fetchVersionStats(
  target: CollectorTarget,
  since: string,
): Promise<VersionStats[]> {
  const path = `/api/v1/images?since=${encodeURIComponent(since)}`;
  const { status, json } = await call(target, 'GET', path, target.adminToken);
  if (status !== 200) {
    const answer = typeof json === 'string' ? json : JSON.stringify(json);
    throw new BootwatchError(
      'BW_SIMULATION_TARGET',
      `GET ${path} answered ${status}: ${answer.slice(0, 300)}`,
    );
  }
  return (json as { versions: VersionStats[] }).versions;
}

/** GET /api/v1/slos: every SLO's status per group, evaluated at the collector's time. */
export async function fetchSloReport(target: CollectorTarget): Promise<SloReport> {
  const { status, json } = await call(target, 'GET', '/api/v1/slos', target.adminToken);
  if (status !== 200) {
    const answer = typeof json === 'string' ? json : JSON.stringify(json);
    throw new BootwatchError(
      'BW_SIMULATION_TARGET',
      `GET /api/v1/slos answered ${status}: ${answer.slice(0, 300)}`,
    );
  }
  return json as SloReport;
}

/** POST /api/v1/rollouts/... or GET ...: the answer's JSON, or BW_SIMULATION_TARGET. */
export async function rolloutCall(
  target: CollectorTarget,
  method: 'GET' | 'POST',
  path: string,
  expected: number,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const { status, json } = await call(target, method, path, target.adminToken, body);
  if (status !== expected) {
    const answer = typeof json === 'string' ? json : JSON.stringify(json);
    throw new BootwatchError(
      'BW_SIMULATION_TARGET',
      `${method} ${path} answered ${status}, expected ${expected}: ${answer.slice(0, 300)}`,
    );
  }
  return json as Record<string, unknown>;
}
