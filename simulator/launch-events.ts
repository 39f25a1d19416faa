// The EventBridge events a real launch produces, for a planned instance: the CloudTrail record of
// RunInstances (it carries the AMI id, which charges a launch that never reports to its version)
// and Auto Scaling's "EC2 Instance Launch Successful". Shapes follow the samples in
// test/fixtures (cloudtrail-runinstances.json, real/eventbridge/autoscaling-*.json). Event ids are
// derived from the instance, so a replay is deduplicated by the collector. Pure.
import { createHash } from 'node:crypto';
import type { InstancePlan } from './fleet-plan.js';

/** RFC 3339 at whole seconds, as EventBridge writes `time`. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function uuidFor(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const AsgTag = 'aws:autoscaling:groupName';

export function runInstancesEvent(plan: InstancePlan): Record<string, unknown> {
  const at = isoSeconds(plan.launchMs);
  return {
    version: '0',
    id: uuidFor(`cloudtrail/${plan.instanceId}`),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: plan.account,
    time: at,
    region: plan.region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      eventTime: at,
      eventSource: 'ec2.amazonaws.com',
      eventName: 'RunInstances',
      awsRegion: plan.region,
      sourceIPAddress: 'autoscaling.amazonaws.com',
      userAgent: 'autoscaling.amazonaws.com',
      eventID: uuidFor(`cloudtrail-record/${plan.instanceId}`),
      responseElements: {
        instancesSet: {
          items: [
            {
              instanceId: plan.instanceId,
              imageId: plan.amiId,
              instanceState: { code: 0, name: 'pending' },
              instanceType: plan.instanceType,
              launchTime: plan.launchMs,
              placement: { availabilityZone: plan.zone, tenancy: 'default' },
              tagSet: { items: [{ key: AsgTag, value: plan.asg }] },
            },
          ],
        },
      },
    },
  };
}

export function autoScalingLaunchEvent(plan: InstancePlan): Record<string, unknown> {
  const start = isoSeconds(plan.launchMs);
  return {
    version: '0',
    id: uuidFor(`autoscaling/${plan.instanceId}`),
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    account: plan.account,
    // Auto Scaling publishes once the launch activity ended, a few seconds after it began.
    time: isoSeconds(plan.launchMs + 5000),
    region: plan.region,
    resources: [
      `arn:aws:autoscaling:${plan.region}:${plan.account}:autoScalingGroup:*:autoScalingGroupName/${plan.asg}`,
      `arn:aws:ec2:${plan.region}:${plan.account}:instance/${plan.instanceId}`,
    ],
    detail: {
      StatusCode: 'InProgress',
      Description: `Launching a new EC2 instance: ${plan.instanceId}`,
      AutoScalingGroupName: plan.asg,
      ActivityId: uuidFor(`activity/${plan.instanceId}`),
      Details: { 'Availability Zone': plan.zone, 'Subnet ID': 'subnet-0a1a2a3a4a5a6a7a8' },
      RequestId: uuidFor(`request/${plan.instanceId}`),
      StatusMessage: '',
      EndTime: isoSeconds(plan.launchMs + 5000),
      EC2InstanceId: plan.instanceId,
      StartTime: start,
      Cause: `At ${start} an instance was started in response to a difference between desired and actual capacity.`,
    },
  };
}

/** Every event one launch produces, in the order EventBridge would deliver them. */
export function launchEvents(plan: InstancePlan): Record<string, unknown>[] {
  return [runInstancesEvent(plan), autoScalingLaunchEvent(plan)];
}
