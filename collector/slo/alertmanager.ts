// Optional direct push of the engine's alerts to Alertmanager's v2 API (POST /api/v2/alerts), for
// sites that do not evaluate the generated rules in Prometheus. Like Prometheus, it resends every
// firing alert periodically (Alertmanager resolves an alert whose endsAt passes without news, so a
// dead collector's alerts end on their own) and sends a resolved alert once with its endsAt.
// Configured by BOOTWATCH_ALERTMANAGER_URL. A failed push is logged once per failure streak and
// retried at the next evaluation; it never fails an evaluation.
//
// Only the present is pushed: the alerts firing at a current evaluation, and the resolution of an
// alert this process pushed as firing. An alert that started and resolved between two pushes never
// reached Alertmanager and is not sent; nor is anything from an evaluation made long before now
// (more than a resend interval): a collector catching up on compressed time, as the demo's
// simulated rollout, evaluates hours of the past in seconds, and Alertmanager, which judges
// startsAt and endsAt by its own clock, would take that history for a stream of alerts already
// resolved and hold the real page back behind it. Once the evaluations are current, the alerts
// firing then are pushed at once, with the time they started.
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { AlertTracker, type AlertInstance } from './alert-tracker.js';
import type { SloReport } from './report.js';

/** One alert as Alertmanager's OpenAPI spec (postableAlert) has it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface AlertmanagerOptions {
  /** Alertmanager's base URL, e.g. http://alertmanager:9093. */
  url: string;
  /**
   * Alertmanager's time: the real clock (systemClock), whatever clock the engine runs on. An
   * evaluation more than a resend interval older than it is history and is not pushed.
   */
  clock: Clock;
  /** How often firing alerts are resent (Prometheus: 1 minute). */
  resendIntervalMs?: number;
  /** Per request. */
  timeoutMs?: number;
  /** Where a human finds the alert's source: the collector's /api/v1/slos. */
  generatorUrl?: string;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  fetch?: typeof fetch;
}

/** Resolved alerts that could not be delivered are retried for this long, then dropped. */
const ResolvedRetryMs = 3_600_000;

export class AlertmanagerPusher {
  private readonly tracker = new AlertTracker();
  /** Keys of the alerts sent as firing and not yet resolved. */
  private readonly pushed = new Set<string>();
  private pendingResolved: PostableAlert[] = [];
  private lastSentMs = Number.NEGATIVE_INFINITY;
  private failing = false;
  private readonly resendMs: number;

  constructor(private readonly o: AlertmanagerOptions) {
    this.resendMs = o.resendIntervalMs ?? 60_000;
  }

  /** Feed every evaluation's report; pushes what started or resolved, or resends what fires. */
  async onReport(report: SloReport): Promise<void> {
    const now = this.o.clock.now();
    const changes = this.tracker.update(report);
    for (const a of changes.resolved) {
      if (this.pushed.delete(a.key)) this.pendingResolved.push(this.postable(a, a.endsAtMs));
    }
    this.pendingResolved = this.pendingResolved.filter(
      (a) => now - Date.parse(a.endsAt) < ResolvedRetryMs,
    );
    const current = now - report.evaluatedAtMs <= this.resendMs;
    const firing = current ? changes.firing : [];
    const due =
      firing.some((a) => !this.pushed.has(a.key)) ||
      this.pendingResolved.length > 0 ||
      (firing.length > 0 && now - this.lastSentMs >= this.resendMs);
    if (!due) return;
    // Sent (or tried: a request that timed out may have arrived), so its resolution will be too.
    for (const a of firing) this.pushed.add(a.key);
    // A firing alert is valid for 4 resend intervals, as Prometheus does.
    const body = [
      ...firing.map((a) => this.postable(a, now + 4 * this.resendMs)),
      ...this.pendingResolved,
    ];
    try {
      await this.post(body);
      this.lastSentMs = now;
      this.pendingResolved = [];
      if (this.failing) this.o.log?.info({ url: this.o.url }, 'Alertmanager push works again');
      this.failing = false;
    } catch (e) {
      if (!this.failing) {
        this.o.log?.warn(
          { url: this.o.url, err: errorMessage(e) },
          'Alertmanager push failed; retrying at the next evaluation',
        );
      }
      this.failing = true;
    }
  }

  private postable(a: AlertInstance, endsAtMs: number): PostableAlert {
    return {
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAtMs).toISOString(),
      endsAt: new Date(endsAtMs).toISOString(),
      ...(this.o.generatorUrl ? { generatorURL: this.o.generatorUrl } : {}),
    };
  }

  private async post(alerts: PostableAlert[]): Promise<void> {
    const url = `${this.o.url.replace(/\/+$/, '')}/api/v2/alerts`;
    const res = await (this.o.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 5_000),
    });
    if (!res.ok) {
      const text = (await res.text()).slice(0, 300);
      throw new Error(`POST ${url} answered ${res.status}: ${text}`);
    }
  }
}
