// One OTLP request from bytes to stored boots, with no HTTP in it (the route is routes/otlp.ts):
//   1. decompress under the limit, decode: any failure is a 4xx, nothing stored;
//   2. rebuild the boots and heartbeats: what breaks the contract (shared/boot-report.ts) is a
//      rejected data point (partial success), what the report leaves out of the signed identity
//      document's facts is taken from the document;
//   3. every boot against the signed identity: one mismatch rejects the request whole (403);
//   4. write: each boot whole (the store may commit it with other requests' boots), then the
//      heartbeats. A failed write is a 503 the exporter retries; upserts keyed by (instance, boot)
//      make the boots already written a no-op on the retry.
// The counters of every boot written come back even when another write failed: they are
// committed, so /metrics must move by them.
import type { BootReport } from '../../shared/boot-report.js';
import { checkBootAgainstIdentity } from '../auth/authenticate.js';
import type { IdentityDocument } from '../auth/identity.js';
import { storeWrite } from '../routes/store-write.js';
import type { CounterDelta, Store } from '../store/store.js';
import { extractBoots } from './boot-extract.js';
import { decodeBody } from './body.js';
import { decodeMetricsRequest } from './decode.js';
import type { KnownFacts } from './resource-facts.js';

/** What the HTTP route hands over. */
export interface OtlpJob {
  body: Uint8Array;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  bodyLimitBytes: number;
  /** The verified identity document of the caller; null for a token (or anonymous) caller. */
  identity: IdentityDocument | null;
  receivedAtMs: number;
}

export interface PartialSuccess {
  rejectedDataPoints: number;
  errorMessage: string;
}

export interface OtlpOutcome {
  /** Committed counter increments, for /metrics (also when `error` is set). */
  counters: CounterDelta[];
  partial?: PartialSuccess;
  /** Why the request fails; the counters above still stand. */
  error?: unknown;
}

export async function ingestOtlp(store: Store, job: OtlpJob): Promise<OtlpOutcome> {
  let boots: BootReport[];
  let heartbeats: ReturnType<typeof extractBoots>['heartbeats'];
  let partial: PartialSuccess | undefined;
  try {
    const body = decodeBody(
      Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength),
      job.contentEncoding,
      job.bodyLimitBytes,
    );
    const extracted = extractBoots(decodeMetricsRequest(body, job.contentType), {
      receivedAtMs: job.receivedAtMs,
      known: job.identity === null ? {} : identityFacts(job.identity),
    });
    ({ boots, heartbeats } = extracted);
    if (job.identity !== null) {
      for (const boot of boots) checkBootAgainstIdentity(boot, job.identity);
      for (const beat of heartbeats) checkBootAgainstIdentity(beat, job.identity);
    }
    // Warnings ride along with 0 rejected points: the OTLP spec's way to tell a sender.
    if (extracted.rejectedDataPoints > 0 || extracted.warnings.length > 0) {
      partial = {
        rejectedDataPoints: extracted.rejectedDataPoints,
        errorMessage: summarize([...extracted.errors, ...extracted.warnings]),
      };
    }
  } catch (error) {
    return { counters: [], error };
  }

  const counters: CounterDelta[] = [];
  const failure = await writeBoots(store, boots, job.receivedAtMs, counters);
  if (failure !== null) return { counters, error: failure.error };
  if (heartbeats.length > 0) {
    try {
      await storeWrite('heartbeats', () => store.recordHeartbeats(heartbeats));
    } catch (error) {
      return { counters, error };
    }
  }
  return partial === undefined ? { counters } : { counters, partial };
}

/**
 * Every boot of the request, submitted together so that they share a transaction (the store
 * batches concurrent writes). Each boot is still written whole or not at all; the counters of
 * those written go to `counters`, and the first failure is returned.
 */
async function writeBoots(
  store: Store,
  boots: readonly BootReport[],
  receivedAtMs: number,
  counters: CounterDelta[],
): Promise<{ error: unknown } | null> {
  const write = (boot: BootReport) =>
    storeWrite(`the boot ${boot.instanceId}/${boot.bootId}`, () =>
      store.upsertBoot(boot, receivedAtMs),
    );
  let failure: { error: unknown } | null = null;
  for (const r of await Promise.allSettled(boots.map(write))) {
    if (r.status === 'fulfilled') counters.push(...r.value.counters);
    else failure ??= { error: r.reason };
  }
  return failure;
}

/** The report fields an identity document signs, in the report's names. */
function identityFacts(doc: IdentityDocument): KnownFacts {
  return {
    amiId: doc.imageId,
    region: doc.region,
    instanceType: doc.instanceType,
    accountId: doc.accountId,
    availabilityZone: doc.availabilityZone,
  };
}

/** The first problems and how many more: a batch of broken boots must not make a huge answer. */
export function summarize(errors: readonly string[], max = 10): string {
  const shown = errors.slice(0, max).join('; ');
  return errors.length > max ? `${shown}; and ${errors.length - max} more` : shown;
}
