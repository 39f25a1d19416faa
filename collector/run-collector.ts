// runCollector: the process around buildCollector. Opens and migrates the store, listens, runs the
// sweeper, and shuts down gracefully on SIGTERM/SIGINT: /readyz turns 503, the listener stops
// accepting, requests in flight finish (up to a drain deadline), the sweeper stops, the store
// closes. Ordering matters: the store closes last, after everything that writes to it.
import type { AddressInfo } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../shared/clock.js';
import { BootwatchError, errorMessage, isBootwatchError } from '../shared/errors.js';
import type { CollectorConfig } from './config.js';
import { buildCollector } from './server.js';
import { AlertmanagerPusher } from './slo/alertmanager.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { startSweeper, type Scheduler } from './sweeper.js';
import { detectAndRecord, lookAtDetected } from './rollouts/detect-rollouts.js';

export interface RunOptions {
  clock?: Clock;
  scheduler?: Scheduler;
  logger?: FastifyBaseLogger;
  /** Install SIGTERM/SIGINT handlers (default true; tests that run several collectors say false). */
  handleSignals?: boolean;
  /** How long requests in flight may take to finish before their connections are cut. */
  drainTimeoutMs?: number;
  /** Alertmanager base URL for the SLO alert push; BOOTWATCH_ALERTMANAGER_URL when not given. */
  alertmanagerUrl?: string | null;
}

export interface RunningCollector {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The bound address, e.g. http://127.0.0.1:4318 (a port 0 resolved). */
  readonly url: string;
  /** Idempotent; resolves once the store is closed. */
  close(): Promise<void>;
  /** Settles when the collector has shut down, by close() or by a signal (rejects if that failed). */
  readonly closed: Promise<void>;
}

/** Within Kubernetes' default 30 s grace period, with room for the store to close. */
export const DrainTimeoutMs = 25_000;

export async function runCollector(
  config: CollectorConfig,
  options: RunOptions = {},
): Promise<RunningCollector> {
  const clock = options.clock ?? systemClock;
  const store = await openStore(config.store, {
    replicaId: config.replicaId,
    clock,
    // Coverage asks for a heartbeat within the window: a row refreshed every half window is
    // enough for agents that heartbeat at least that often (collector/store/heartbeats.ts).
    heartbeatRefreshMs: config.heartbeatWindowMs / 2,
  });
  let app: FastifyInstance | undefined;
  try {
    await store.migrate();
    app = await buildCollector({ config, store, clock, logger: options.logger });
    await listen(app, config.listen);
  } catch (e) {
    await app?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw startupError(e);
  }
  const server = app;
  const sweeper = startSweeper({
    store,
    clock,
    scheduler: options.scheduler,
    sweepIntervalMs: config.sweepIntervalMs,
    reportDeadlineMs: config.reportDeadlineMs,
    retentionMs: config.retentionMs,
    onCounters: (deltas) => server.bootwatch.metrics.apply(deltas),
    detectRollouts: async () => {
      await detectAndRecord({
        store,
        clock,
        switchBackWindowMs: config.rolloutSwitchBackWindowMs,
        log: server.log,
      });
      // Nobody polls a detected rollout's verdict: the collector looks, as a pipeline would, so
      // that bootwatch_rollout_verdict (and the failed-canary page) covers detected canaries too.
      await lookAtDetected(store, server.bootwatch.judge);
    },
    log: server.log,
  });

  const address = server.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const alertmanagerUrl =
    options.alertmanagerUrl !== undefined
      ? options.alertmanagerUrl
      : process.env.BOOTWATCH_ALERTMANAGER_URL || null;
  if (alertmanagerUrl) {
    const pusher = new AlertmanagerPusher({
      url: alertmanagerUrl,
      // Alertmanager runs on real time, even while this collector's clock is simulated (the demo).
      clock: systemClock,
      generatorUrl: `${url}/api/v1/slos`,
      log: server.log,
    });
    server.bootwatch.slo.addListener((report) => pusher.onReport(report));
  }
  server.bootwatch.slo.start(options.scheduler);
  server.log.info(
    { url, store: store.engine, replicaId: config.replicaId },
    'bootwatch collector listening',
  );

  let closing: Promise<void> | null = null;
  let settleClosed: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  const closed = new Promise<void>((resolve, reject) => (settleClosed = { resolve, reject }));
  // `closed` rejects when the shutdown fails; whoever awaits it hears so, and nobody awaiting it
  // is no unhandled rejection (close() returns the same outcome).
  closed.catch(() => undefined);
  const drainTimeoutMs = options.drainTimeoutMs ?? DrainTimeoutMs;

  const close = (): Promise<void> => {
    if (closing !== null) return closing;
    closing = (async () => {
      removeSignalHandlers();
      server.bootwatch.startDraining();
      // Past the deadline, cut what is still open: a hung client must not hold the shutdown.
      const deadline = setTimeout(() => server.server.closeAllConnections(), drainTimeoutMs);
      deadline.unref();
      try {
        await Promise.all([server.close(), sweeper.stop(), server.bootwatch.slo.stop()]);
      } finally {
        clearTimeout(deadline);
        await store.close();
      }
      server.log.info('collector stopped');
    })();
    closing.then(settleClosed?.resolve, settleClosed?.reject);
    return closing;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    server.log.info({ signal }, 'shutting down: draining requests in flight');
    close().catch((err: unknown) => server.log.error({ err }, 'shutdown failed'));
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  const removeSignalHandlers = () => signals.forEach((s) => process.off(s, onSignal));
  if (options.handleSignals !== false) signals.forEach((s) => process.once(s, onSignal));

  return { app: server, store, url, close, closed };
}

/** Why a listen failed, in the operator's terms, by the errno Node gives. */
const ListenProblems: Record<string, (address: string, host: string) => string> = {
  EADDRINUSE: (a) => `${a} is in use (another collector?); choose a free port`,
  EACCES: (a) =>
    `${a}: ports below 1024 need privileges (CAP_NET_BIND_SERVICE); choose a port above 1023`,
  EADDRNOTAVAIL: (a, host) =>
    `${a}: ${host} is not an address of this machine; use one of its addresses, or 0.0.0.0 for all`,
  ENOTFOUND: (a, host) => `${a}: the host name ${host} does not resolve; use an IP address`,
  EAI_AGAIN: (a, host) => `${a}: the host name ${host} could not be resolved (DNS did not answer)`,
};

async function listen(
  app: FastifyInstance,
  { host, port }: { host: string; port: number },
): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (e) {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const problem = ListenProblems[code]?.(address, host) ?? `${address}: ${errorMessage(e)}`;
    throw new BootwatchError('BW_LISTEN', `cannot listen (listen, BOOTWATCH_LISTEN): ${problem}`, {
      cause: e,
    });
  }
}

/**
 * Every startup failure leaves with a code: ours pass through; anything else (a bug, or a store
 * that failed between opening and the first read) is BW_INTERNAL with its message.
 */
function startupError(e: unknown): BootwatchError {
  if (isBootwatchError(e)) return e;
  return new BootwatchError('BW_INTERNAL', `the collector failed to start: ${errorMessage(e)}`, {
    cause: e,
  });
}
