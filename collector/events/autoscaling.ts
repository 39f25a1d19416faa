// aws.autoscaling events: launch/terminate activities (successful or not) and lifecycle actions.
// Samples: test/fixtures/real/eventbridge/autoscaling-event-*.json (from aws/aws-lambda-go).
import { Type, type Static } from '@sinclair/typebox';
import { freeTextOf } from '../../shared/text.js';
import type { InstanceEvent } from '../model.js';
import {
  checkShape,
  envelopeFacts,
  InstanceIdString,
  Label,
  Rfc3339String,
  timeMs,
  type EventContext,
} from './envelope.js';

type Shape = 'activity' | 'lifecycle';

interface Recognized {
  kind: InstanceEvent['kind'];
  shape: Shape;
  /** A launch that failed before EC2 created an instance has `"EC2InstanceId": ""`. */
  instanceMayBeEmpty?: boolean;
}

const Recognized = new Map<string, Recognized>([
  ['EC2 Instance Launch Successful', { kind: 'launched', shape: 'activity' }],
  [
    'EC2 Instance Launch Unsuccessful',
    { kind: 'launch_failed', shape: 'activity', instanceMayBeEmpty: true },
  ],
  ['EC2 Instance Terminate Successful', { kind: 'terminated', shape: 'activity' }],
  ['EC2 Instance Terminate Unsuccessful', { kind: 'other', shape: 'activity' }],
  ['EC2 Instance-launch Lifecycle Action', { kind: 'launched', shape: 'lifecycle' }],
  ['EC2 Instance-terminate Lifecycle Action', { kind: 'other', shape: 'lifecycle' }],
]);

export function isAutoScalingEvent(detailType: string): boolean {
  return Recognized.has(detailType);
}

const GroupName = Label(1, 256);

const activityFields = {
  AutoScalingGroupName: GroupName,
  StartTime: Type.Optional(Rfc3339String),
  EndTime: Type.Optional(Rfc3339String),
  StatusMessage: Type.Optional(Type.String({ maxLength: 4096 })),
  Cause: Type.Optional(Type.String({ maxLength: 4096 })),
  // Keys with spaces, as Auto Scaling writes them; other keys (`Subnet ID`) are not needed.
  Details: Type.Optional(Type.Object({ 'Availability Zone': Type.Optional(Label(0, 32)) })),
};
const ActivitySchema = Type.Object({ EC2InstanceId: InstanceIdString, ...activityFields });
const FailedLaunchSchema = Type.Object({
  EC2InstanceId: Label(0, 64),
  ...activityFields,
});
const LifecycleSchema = Type.Object({
  EC2InstanceId: InstanceIdString,
  AutoScalingGroupName: GroupName,
});

type Activity = Static<typeof FailedLaunchSchema>;

/**
 * The moment an activity happened. A launch counts from StartTime (when Auto Scaling asked EC2);
 * a failure or a termination from EndTime, when it was decided, because the boot SLI counts a
 * failed launch in the minute its failure was known. Lifecycle actions carry no time of their own.
 */
function activityMs(ctx: EventContext, kind: InstanceEvent['kind'], detail: Activity): number {
  const { label, envelope } = ctx;
  if (kind === 'launched' && detail.StartTime !== undefined) {
    return timeMs(label, '/detail/StartTime', detail.StartTime);
  }
  if (kind !== 'launched' && detail.EndTime !== undefined) {
    return timeMs(label, '/detail/EndTime', detail.EndTime);
  }
  if (detail.StartTime !== undefined) return timeMs(label, '/detail/StartTime', detail.StartTime);
  return timeMs(label, '/time', envelope.time);
}

/**
 * One InstanceEvent for a recognized Auto Scaling event. For a launch that failed before an
 * instance existed, instanceId is '' (no instance to merge with): the store keys it by eventId.
 */
export function parseAutoScaling(ctx: EventContext): InstanceEvent {
  const { label, envelope } = ctx;
  const detailType = envelope['detail-type'];
  const recognized = Recognized.get(detailType);
  if (recognized === undefined) throw new Error(`not an Auto Scaling event: ${detailType}`);
  const base = {
    eventId: envelope.id,
    kind: recognized.kind,
    source: 'aws.autoscaling' as const,
    detailType,
    ...envelopeFacts(envelope),
  };
  if (recognized.shape === 'lifecycle') {
    const detail = checkShape(label, '/detail', LifecycleSchema, envelope.detail);
    return {
      ...base,
      instanceId: detail.EC2InstanceId,
      atMs: timeMs(label, '/time', envelope.time),
      asg: detail.AutoScalingGroupName,
    };
  }
  const schema = recognized.instanceMayBeEmpty === true ? FailedLaunchSchema : ActivitySchema;
  const detail: Activity = checkShape(label, '/detail', schema, envelope.detail);
  const zone = detail.Details?.['Availability Zone'];
  const event: InstanceEvent = {
    ...base,
    instanceId: detail.EC2InstanceId,
    atMs: activityMs(ctx, recognized.kind, detail),
    asg: detail.AutoScalingGroupName,
    ...(zone ? { availabilityZone: zone } : {}),
  };
  if (recognized.kind === 'launch_failed') {
    // Free text for people, kept whatever it holds (a failed launch counts whatever its message).
    const message = detail.StatusMessage || detail.Cause;
    if (message) event.message = freeTextOf(message);
  }
  return event;
}
