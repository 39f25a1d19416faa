// What every route needs, built once by buildCollector (server.ts).
import type { Clock } from '../../shared/clock.js';
import type { AgentPrincipal, HeaderMap } from '../auth/authenticate.js';
import type { CollectorConfig } from '../config.js';
import type { CollectorMetrics } from '../metrics/registry.js';
import type { Store } from '../store/store.js';

export interface RouteAuth {
  /** The agent behind an OTLP request; throws BW_AUTH_MISSING or BW_AUTH_INVALID. */
  agent(headers: HeaderMap): Promise<AgentPrincipal>;
  /** Reads of /api/v1: the read or admin token, or open (auth-hooks.ts has the rule). */
  read(headers: HeaderMap): void;
  /** Writes of /api/v1 (image registry): the admin token (closed without one, see auth-hooks). */
  adminWrite(headers: HeaderMap): void;
  /** /v1/events: the admin token or the agent token. */
  events(headers: HeaderMap): Promise<void>;
}

export interface RouteContext {
  config: CollectorConfig;
  store: Store;
  clock: Clock;
  metrics: CollectorMetrics;
  auth: RouteAuth;
  /** True once shutdown began: /readyz answers 503 so that load balancers stop sending. */
  isDraining(): boolean;
}
