// The real collector, in this process, on compressed time: its clock and its sweeper's timers are
// the simulator's (sim-clock.ts), so launches, reports and no_report decisions land at simulated
// times. After the simulation it can go live (the demo keeps serving on real time).
import { buildCollectorConfig, type CollectorConfig } from '../collector/config.js';
import { runCollector, type RunningCollector } from '../collector/run-collector.js';
import { formatDuration } from '../shared/duration.js';
import { SimClock, SimScheduler } from './sim-clock.js';

export interface InProcessCollectorOptions {
  /** A SQLite file path or a postgres:// URL. */
  store: string;
  /** host:port; default 127.0.0.1:0 (a free port). */
  listen?: string;
  /** Where simulated time starts (epoch ms). */
  startMs: number;
  reportDeadlineMs: number;
  token?: string | null;
  adminToken?: string | null;
  /** Accept requests without credentials (only ever on a loopback address). */
  allowAnonymous?: boolean;
  logLevel?: CollectorConfig['logLevel'];
  /** Environment overrides (BOOTWATCH_*), winning over the options above, as for `collector`. */
  env?: Record<string, string | undefined>;
  /** Stop on SIGINT/SIGTERM (the demo); default false. */
  handleSignals?: boolean;
}

export interface InProcessCollector {
  readonly running: RunningCollector;
  readonly config: CollectorConfig;
  readonly clock: SimClock;
  readonly scheduler: SimScheduler;
  /** One sweep at the current simulated time, awaited; how many launches it decided. */
  sweepNow(): Promise<number>;
  /** Real time from now on, for the clock and the sweeper. */
  goLive(): void;
  close(): Promise<void>;
}

export async function startInProcessCollector(
  o: InProcessCollectorOptions,
): Promise<InProcessCollector> {
  const file: Record<string, unknown> = {
    listen: o.listen ?? '127.0.0.1:0',
    store: o.store,
    report_deadline: formatDuration(o.reportDeadlineMs),
    allow_anonymous: o.allowAnonymous ?? false,
    log_level: o.logLevel ?? 'warn',
  };
  if (o.token) file.token = o.token;
  if (o.adminToken) file.admin_token = o.adminToken;
  const config = buildCollectorConfig({ file, filePath: 'simulator', env: o.env ?? {} });
  const clock = new SimClock(o.startMs);
  const scheduler = new SimScheduler(clock);
  const running = await runCollector(config, {
    clock,
    scheduler,
    handleSignals: o.handleSignals ?? false,
  });
  return {
    running,
    config,
    clock,
    scheduler,
    async sweepNow() {
      // What the sweeper's timer does, awaited, so the end of a simulation can wait for it.
      const decided = await running.store.sweep(clock.now(), config.reportDeadlineMs);
      for (const result of decided) running.app.bootwatch.metrics.apply(result.counters);
      return decided.length;
    },
    goLive() {
      clock.goLive();
      scheduler.goLive();
    },
    close: () => running.close(),
  };
}
