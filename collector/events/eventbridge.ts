// POST /v1/events: EventBridge events as an API destination or a relay delivers them, one event or
// an array. Pure: JSON in, InstanceEvents out. A batch is all or nothing: one malformed event
// rejects the request (400, naming its index and field), so nothing is half-written; events of
// sources and types we do not use are counted and skipped.
import { ReportTimeBounds } from '../../shared/boot-report.js';
import { formatDuration } from '../../shared/duration.js';
import { instantText } from '../../shared/rfc3339.js';
import type { InstanceEvent } from '../model.js';
import { isAutoScalingEvent, parseAutoScaling } from './autoscaling.js';
import { CloudTrailType, isRunInstances, parseRunInstances } from './cloudtrail-run-instances.js';
import { Ec2StateChangeType, parseEc2StateChange } from './ec2-state-change.js';
import { checkShape, EnvelopeSchema, invalid, type EventContext } from './envelope.js';

/** The most events one request may carry (EventBridge itself puts at most 10 per PutEvents). */
export const MaxEventsPerBatch = 1000;

export interface ParsedEvents {
  events: InstanceEvent[];
  /** Valid events that say nothing about launches (other sources, types, API calls, failed calls). */
  ignored: number;
}

/** The facts one event carries: none (null) when it is not one we use. */
function parseOne(ctx: EventContext): InstanceEvent[] | null {
  const { source } = ctx.envelope;
  const detailType = ctx.envelope['detail-type'];
  if (source === 'aws.ec2' && detailType === Ec2StateChangeType) {
    return [parseEc2StateChange(ctx)];
  }
  if (source === 'aws.autoscaling' && isAutoScalingEvent(detailType)) {
    return [parseAutoScaling(ctx)];
  }
  if (detailType === CloudTrailType && isRunInstances(ctx)) {
    return parseRunInstances(ctx);
  }
  return null;
}

export function parseEventBatch(body: unknown): ParsedEvents {
  const many = Array.isArray(body);
  const items: unknown[] = many ? body : [body];
  if (items.length > MaxEventsPerBatch) {
    throw invalid(
      'request',
      '/',
      `received ${items.length} events, expected at most ${MaxEventsPerBatch} in one request`,
    );
  }
  const events: InstanceEvent[] = [];
  let ignored = 0;
  items.forEach((item, index) => {
    const label = many ? `events[${index}]` : 'event';
    const envelope = checkShape(label, '', EnvelopeSchema, item);
    const parsed = parseOne({ label, envelope });
    if (parsed === null) ignored += 1;
    else events.push(...parsed);
  });
  return { events, ignored };
}

/**
 * Events dated after the moment they were received (plus the clock skew a boot report may have,
 * ReportTimeBounds.aheadMs) are refused, the batch with them: nothing happens in the future, and a
 * launch dated 2099 would stay running, unswept, for the coverage gauges until then. Old events are
 * accepted: EventBridge replays archives, and a launch decided long ago lands where it belongs.
 */
export function checkEventTimes(events: readonly InstanceEvent[], receivedAtMs: number): void {
  const latest = receivedAtMs + ReportTimeBounds.aheadMs;
  const late = events.find((e) => !(e.atMs <= latest));
  if (late === undefined) return;
  throw invalid(
    `event ${late.eventId}`,
    '/time',
    `${instantText(late.atMs)} is more than ${formatDuration(ReportTimeBounds.aheadMs)} after the event was received (${new Date(receivedAtMs).toISOString()})`,
  );
}
