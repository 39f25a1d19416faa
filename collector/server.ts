// buildCollector: the Fastify app with every route, its error handling and /metrics seeded from
// the store, not listening (run-collector.ts listens; tests use inject()).
import type { X509Certificate } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../shared/clock.js';
import { loadSloFile, loadSlos } from '../shared/slo/load.js';
import type { ScanPolicy } from '../shared/slo/scan-policy.js';
import type { Slo } from '../shared/slo/model.js';
import { loadCertificates } from './auth/identity.js';
import type { CollectorConfig } from './config.js';
import { answerClientError, registerJsonErrors } from './errors-http.js';
import { recentLabelValues } from './metrics/recent-labels.js';
import { registerImageScanGauges } from './metrics/image-scan-gauges.js';
import { registerRolloutGauges } from './metrics/rollout-gauges.js';
import { buildCollectorMetrics, type CollectorMetrics } from './metrics/registry.js';
import { buildRouteAuth, readsOpenDespiteCredentials, routeAccess } from './routes/auth-hooks.js';
import { bootRoutes } from './routes/boots.js';
import type { RouteContext } from './routes/context.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { imageRoutes } from './routes/images.js';
import { metricsRoutes } from './routes/metrics.js';
import { otlpRoutes } from './routes/otlp.js';
import { rolloutRoutes } from './routes/rollouts.js';
import { scanRoutes } from './routes/scans.js';
import { sloRoutes } from './routes/slos.js';
import { EvidenceBook } from './rollouts/evidence-book.js';
import { RolloutJudge } from './rollouts/rollout-judge.js';
import { SloEngine } from './slo/slo-engine.js';
import { registerSloGauges } from './slo/slo-gauges.js';
import type { Store } from './store/store.js';

/** What run-collector needs from a built app besides Fastify itself. */
export interface CollectorRuntime {
  readonly metrics: CollectorMetrics;
  /** The SLO engine (run-collector starts its schedule; routes and gauges evaluate on demand). */
  readonly slo: SloEngine;
  /** Rollout verdicts (routes, and run-collector's look at detected rollouts). */
  readonly judge: RolloutJudge;
  /** /readyz answers 503 from now on (shutdown has begun). */
  startDraining(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    bootwatch: CollectorRuntime;
  }
}

export interface BuildCollectorOptions {
  config: CollectorConfig;
  store: Store;
  clock?: Clock;
  /** A pino-compatible logger; otherwise one at config.logLevel. */
  logger?: FastifyBaseLogger;
  /** Trusted AWS certificates; read from config.identityCertDir when not given. */
  certificates?: readonly X509Certificate[] | null;
  /** Node process metrics on /metrics (default on). */
  processMetrics?: boolean;
  /** SLO definitions; read from config.sloFile (or the built-in defaults) when not given. */
  slos?: Slo[];
  /** The scan gate's policy; read from config.sloFile (or the default policy) when not given. */
  scanPolicy?: ScanPolicy;
}

export async function buildCollector(options: BuildCollectorOptions): Promise<FastifyInstance> {
  const { config, store } = options;
  const clock = options.clock ?? systemClock;
  const certificates =
    options.certificates !== undefined
      ? options.certificates
      : config.identityCertDir === null
        ? null
        : loadCertificates(config.identityCertDir);
  const auth = buildRouteAuth(config, certificates);

  const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
  const app = Fastify({
    ...(options.logger
      ? { loggerInstance: options.logger }
      : { logger: { level: config.logLevel } }),
    bodyLimit: config.bodyLimitBytes,
    // A request's headers and body must arrive within body_timeout, or the client gets a 408 and
    // the connection closes: a sender that trickles its body holds a connection that long at most.
    // Node checks the open connections every connectionsCheckingInterval, so the bound is
    // body_timeout plus up to a second. Handlers are not timed: only the arrival is.
    requestTimeout: config.bodyTimeoutMs,
    http: {
      connectionsCheckingInterval: Math.min(1000, config.bodyTimeoutMs / 2),
      headersTimeout: Math.min(60_000, config.bodyTimeoutMs),
    },
    clientErrorHandler: answerClientError,
    // One line per request is noise with thousands of agents heartbeating; errors are logged.
    logController: new LogController({ disableRequestLogging: !verbose }),
    // Unknown fields are an error the client should hear about, not something to drop silently.
    // `verbose` gives each validation error the value received and the failing schema, which the
    // messages name (errors-http.ts).
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        verbose: true,
      },
    },
  });

  // Which routes answer whom, once at startup: an open read API must not go unnoticed.
  const access = routeAccess(config, certificates);
  if (readsOpenDespiteCredentials(config, certificates)) {
    app.log.warn({ access }, 'route access: the read API is open to anyone (open_reads)');
  } else {
    app.log.info({ access }, 'route access');
  }

  let logged = false;
  const metrics = buildCollectorMetrics({
    labelCap: config.labelCap,
    groupLabelCap: config.groupLabelCap,
    coverage: async () => {
      const coverage = await store.coverage(clock.now() - config.heartbeatWindowMs);
      logged = false;
      return coverage;
    },
    onError: (err) => {
      // Once per failure streak: a scrape every 15 s would otherwise repeat it all day.
      if (!logged) app.log.warn({ err }, 'coverage gauges: the store did not answer');
      logged = true;
    },
    processMetrics: options.processMetrics,
  });
  metrics.series.seed(await store.loadCounters(), await recentLabelValues(store, clock.now()));
  const slo = new SloEngine({
    slos: options.slos ?? loadSlos(config.sloFile),
    store,
    clock,
    heartbeatWindowMs: config.heartbeatWindowMs,
    evaluationIntervalMs: config.sloIntervalMs,
    log: app.log,
  });
  registerSloGauges(metrics.registry, () => slo.report(), config.labelCap);
  registerImageScanGauges(metrics.registry, store, config.labelCap, (err) =>
    app.log.warn({ err }, 'image scan gauges: the store did not answer'),
  );
  registerRolloutGauges(metrics.registry, store, config.labelCap, (err) =>
    app.log.warn({ err }, 'rollout gauges: the store did not answer'),
  );

  let draining = false;
  const ctx: RouteContext = { config, store, clock, metrics, auth, isDraining: () => draining };
  const scanPolicy = options.scanPolicy ?? loadSloFile(config.sloFile).scanPolicy;
  const judge = new RolloutJudge({
    store,
    evidence: new EvidenceBook(store),
    slo,
    scanPolicy,
    clock,
  });
  app.decorate('bootwatch', {
    metrics,
    slo,
    judge,
    startDraining: () => {
      draining = true;
    },
  });

  // A keep-alive connection whose request was in flight when shutdown began would otherwise stay
  // open, idle, until the keep-alive timeout, holding the shutdown for nothing.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) reply.header('connection', 'close');
  });
  registerJsonErrors(app);
  // The JSON API speaks JSON only: anything else is a 415, not a string handed to a handler.
  app.removeContentTypeParser('text/plain');
  healthRoutes(app, ctx);
  metricsRoutes(app, ctx);
  eventRoutes(app, ctx);
  imageRoutes(app, ctx);
  bootRoutes(app, ctx);
  sloRoutes(app, ctx, slo);
  rolloutRoutes(app, ctx, judge);
  await app.register(otlpRoutes, ctx);
  await app.register(scanRoutes, { ctx, policy: scanPolicy });
  return app;
}
