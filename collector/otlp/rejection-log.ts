// Rejected data points (and warnings) of OTLP partial successes, for the collector's log. A 200
// with a partialSuccess is easy for an exporter to ignore, so the collector says it too: one line
// per request with the reason, at most `max` lines per `intervalMs` (a fleet sending broken reports
// must not flood the log); the next line says how many were held back. Pure over the injected
// clock: the route does the logging.
//
// Worked example, max 2 per minute: requests at 0 s, 1 s, 2 s, 3 s, 61 s give lines at 0 s and
// 1 s, hold back 2 s and 3 s, and the line at 61 s says "2 more requests ... not logged".
import type { Clock } from '../../shared/clock.js';
import type { PartialSuccess } from './ingest.js';

export interface RejectionLine {
  rejectedDataPoints: number;
  message: string;
  /** Partial successes held back since the last line. */
  heldBack: number;
}

export class RejectionLog {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private linesInWindow = 0;
  private heldBack = 0;

  constructor(
    private readonly clock: Clock,
    private readonly max = 10,
    private readonly intervalMs = 60_000,
  ) {}

  /** The line to log for this partial success, or null while the limit holds it back. */
  note(partial: PartialSuccess): RejectionLine | null {
    const now = this.clock.now();
    if (now - this.windowStartMs >= this.intervalMs) {
      this.windowStartMs = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow >= this.max) {
      this.heldBack += 1;
      return null;
    }
    this.linesInWindow += 1;
    const heldBack = this.heldBack;
    this.heldBack = 0;
    return {
      rejectedDataPoints: partial.rejectedDataPoints,
      message: partial.errorMessage,
      heldBack,
    };
  }
}
