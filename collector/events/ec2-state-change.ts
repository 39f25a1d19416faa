// aws.ec2 "EC2 Instance State-change Notification": `{"instance-id": "i-...", "state": "pending"}`.
import { Type } from '@sinclair/typebox';
import type { InstanceEvent } from '../model.js';
import {
  checkShape,
  envelopeFacts,
  InstanceIdString,
  invalid,
  timeMs,
  type EventContext,
} from './envelope.js';

export const Ec2StateChangeType = 'EC2 Instance State-change Notification';

const DetailSchema = Type.Object({
  'instance-id': Type.Optional(InstanceIdString),
  // Not what EC2 sends: the samples of aws-powertools (Python and TypeScript) write `instance_id`,
  // and test events copied from them reach us that way. Accepted so those samples work; the real
  // key wins when both are present.
  instance_id: Type.Optional(InstanceIdString),
  state: Type.String({ minLength: 1, maxLength: 32 }),
});

// A Map, not an object literal: a state named `constructor` must not find Object.prototype.
const KindByState = new Map<string, InstanceEvent['kind']>([
  ['pending', 'launched'],
  ['running', 'running'],
  ['shutting-down', 'terminated'],
  ['terminated', 'terminated'],
]);

export function parseEc2StateChange(ctx: EventContext): InstanceEvent {
  const { label, envelope } = ctx;
  const detail = checkShape(label, '/detail', DetailSchema, envelope.detail);
  const instanceId = detail['instance-id'] ?? detail.instance_id;
  if (instanceId === undefined) {
    throw invalid(label, '/detail/instance-id', 'expected the instance id, received nothing');
  }
  return {
    eventId: envelope.id,
    // stopping, stopped and any state EC2 adds later are facts the store does not act on.
    kind: KindByState.get(detail.state) ?? 'other',
    instanceId,
    atMs: timeMs(label, '/time', envelope.time),
    source: 'aws.ec2',
    detailType: Ec2StateChangeType,
    ...envelopeFacts(envelope),
  };
}
