// The launch events the simulator sends are ones the collector's EventBridge parser takes, with
// the facts that charge a silent launch to its AMI version.
import { describe, expect, it } from 'vitest';
import { parseEventBatch } from '../../collector/events/eventbridge.js';
import { amiIdFor, type InstancePlan } from '../../simulator/fleet-plan.js';
import { launchEvents } from '../../simulator/launch-events.js';

const plan: InstancePlan = {
  index: 3,
  instanceId: 'i-0badc0de000000003',
  amiId: amiIdFor('2.0', 'us-east-1'),
  version: '2.0',
  imageName: 'web-2.0',
  account: '210987654321',
  region: 'us-east-1',
  zone: 'us-east-1b',
  instanceType: 'c7i.xlarge',
  asg: 'web-blue',
  traffic: 'rollout',
  launchMs: Date.parse('2026-11-03T04:05:06Z'),
  bootSeconds: 70,
  outcome: 'no_report',
  reportedSeconds: null,
  reportAtMs: null,
};

describe('launchEvents', () => {
  it('are a CloudTrail RunInstances record and an Auto Scaling launch the collector understands', () => {
    const { events, ignored } = parseEventBatch(launchEvents(plan));
    expect(ignored).toBe(0);
    const common = {
      kind: 'launched',
      instanceId: plan.instanceId,
      atMs: plan.launchMs,
      region: 'us-east-1',
      accountId: '210987654321',
      availabilityZone: 'us-east-1b',
      asg: 'web-blue',
    };
    expect(events).toEqual([
      expect.objectContaining({
        ...common,
        source: 'aws.cloudtrail',
        amiId: plan.amiId,
        instanceType: 'c7i.xlarge',
      }),
      expect.objectContaining({
        ...common,
        source: 'aws.autoscaling',
        detailType: 'EC2 Instance Launch Successful',
      }),
    ]);
  });

  it('have ids derived from the instance, so that a replay is a duplicate', () => {
    const ids = (p: InstancePlan) => launchEvents(p).map((e) => e.id);
    expect(ids(plan)).toEqual(ids({ ...plan }));
    expect(ids({ ...plan, instanceId: 'i-0badc0de000000004' })).not.toEqual(ids(plan));
  });
});
