// The Prometheus servers that scrape this collector, so that a new series is shown to every one of
// them at its old value (0 for a brand-new series) before its first increment is
// (counter-series.ts): `increase()` cannot count the first sample of a series it sees already at 1.
//
// A scraper is a client that sends X-Prometheus-Scrape-Timeout-Seconds, as Prometheus does with
// every scrape (and so do the agents built on its scrape code: vmagent, Grafana Alloy, the
// OpenTelemetry Collector's prometheus receiver), told apart by its connection: Prometheus keeps
// one connection per target open between scrapes (HTTP keep-alive), so the two servers of an HA
// pair are two scrapers even on one host or behind one address. A server that reconnects is a new
// scraper; its old connection is forgotten like any scraper that stopped, which only delays new
// series meanwhile. Other readers (curl, a browser, tests) are not scrapers: they read the counts
// as they are and hold nothing back.
//
// Each scrape gets a sequence number. A series first shown in scrape s has been seen by every
// scraper once each active scraper's latest served scrape is s or later. A scraper is active until
// it misses three of its intervals (its last gap between two scrapes, or 1 minute before it has
// two), so that a Prometheus that went away holds new series back for a few intervals at most.
//
// Worked example, A and B scraping every 15 s, B 5 s after A: a boot of a new version at 10:00:02
// creates its series. A scrapes at 10:00:05 (scrape 7): the series is shown at 0. B scrapes at
// 10:00:10 (scrape 8) and sees 0 too; now both have seen it, and the boot is added. A's scrape at
// 10:00:20 shows 1, B's at 10:00:25 too: increase() counts the boot in both, one interval late.

/** Every Prometheus sends it (the scrape timeout, in seconds). */
export const ScrapeHeader = 'x-prometheus-scrape-timeout-seconds';

/** A scraper is forgotten after this many of its intervals without a scrape. */
export const MissedIntervals = 3;

/** The interval assumed before a scraper's second scrape: the longest docs/wiring.md advises. */
export const AssumedIntervalMs = 60_000;

/** The scraper a /metrics request comes from (its connection), or null for any other reader. */
export function scraperOf(
  headers: Record<string, string | string[] | undefined>,
  connection: { remoteAddress?: string; remotePort?: number },
): string | null {
  if (headers[ScrapeHeader] === undefined) return null;
  return `${connection.remoteAddress ?? ''} ${connection.remotePort ?? ''}`;
}

interface Scraper {
  /** The latest scrape served to it. */
  lastSeq: number;
  lastAtMs: number;
  /** Between its last two scrapes; null until it has two. */
  intervalMs: number | null;
}

export class Scrapers {
  private seq = 0;
  private readonly byId = new Map<string, Scraper>();

  /** A scrape by `id` starts: forgets the scrapers that went away, returns its number. */
  begin(id: string, nowMs: number): number {
    for (const [other, s] of this.byId) {
      const allowedMs = MissedIntervals * (s.intervalMs ?? AssumedIntervalMs);
      if (other !== id && nowMs - s.lastAtMs > allowedMs) this.byId.delete(other);
    }
    const s = this.byId.get(id);
    if (s === undefined) this.byId.set(id, { lastSeq: 0, lastAtMs: nowMs, intervalMs: null });
    else {
      s.intervalMs = Math.max(0, nowMs - s.lastAtMs);
      s.lastAtMs = nowMs;
    }
    this.seq += 1;
    return this.seq;
  }

  /** Scrape `seq` was answered to `id` (a failed one is not: it showed nothing). */
  served(id: string, seq: number): void {
    const s = this.byId.get(id);
    if (s !== undefined) s.lastSeq = Math.max(s.lastSeq, seq);
  }

  /**
   * Whether every active scraper has been answered scrape `seq` or a later one. With no scraper
   * at all, nobody is waiting: true.
   */
  allServedSince(seq: number): boolean {
    for (const s of this.byId.values()) if (s.lastSeq < seq) return false;
    return true;
  }

  /** How many scrapers are active (for tests and logs). */
  get size(): number {
    return this.byId.size;
  }
}
