// "AWS API Call via CloudTrail" for ec2:RunInstances. EventBridge delivers it with source
// `aws.ec2` and the CloudTrail record as `detail`; the launched instances are in
// detail.responseElements.instancesSet.items, each with instanceId, imageId, instanceType,
// launchTime (epoch milliseconds in CloudTrail's JSON), placement.availabilityZone and tagSet.items
// (`{key, value}`, where Auto Scaling puts aws:autoscaling:groupName). A failed call has errorCode
// and errorMessage and no responseElements. See test/fixtures/cloudtrail-runinstances.json.
import { Type } from '@sinclair/typebox';
import type { InstanceEvent } from '../model.js';
import {
  checkShape,
  envelopeFacts,
  InstanceIdString,
  invalid,
  Label,
  timeMs,
  type EventContext,
} from './envelope.js';

export const CloudTrailType = 'AWS API Call via CloudTrail';
const AsgTag = 'aws:autoscaling:groupName';

const HeadSchema = Type.Object({
  eventSource: Type.String({ maxLength: 256 }),
  eventName: Type.String({ maxLength: 256 }),
  errorCode: Type.Optional(Type.String({ maxLength: 256 })),
});

const ItemSchema = Type.Object({
  instanceId: InstanceIdString,
  imageId: Label(1, 64),
  instanceType: Type.Optional(Label(0, 64)),
  launchTime: Type.Optional(Type.Unknown()),
  placement: Type.Optional(Type.Object({ availabilityZone: Type.Optional(Label(0, 32)) })),
  tagSet: Type.Optional(
    Type.Object({
      // EC2's limits: keys of 128 characters, values of 256, 50 tags; the ASG's name is a value.
      items: Type.Optional(
        Type.Array(Type.Object({ key: Type.String({ maxLength: 128 }), value: Label(0, 256) }), {
          maxItems: 100,
        }),
      ),
    }),
  ),
});

const ResponseSchema = Type.Object({
  responseElements: Type.Object({
    instancesSet: Type.Object({
      // RunInstances launches at most what the account's limits allow; 1000 bounds the work.
      items: Type.Array(ItemSchema, { minItems: 1, maxItems: 1000 }),
    }),
  }),
});

/** True for a CloudTrail record of RunInstances, whatever its outcome. */
export function isRunInstances(ctx: EventContext): boolean {
  const head = checkShape(ctx.label, '/detail', HeadSchema, ctx.envelope.detail);
  return head.eventSource === 'ec2.amazonaws.com' && head.eventName === 'RunInstances';
}

/** launchTime is epoch ms in CloudTrail; the EC2 API's own form, RFC 3339, is accepted too. */
function launchMs(ctx: EventContext, path: string, value: unknown): number {
  if (value === undefined) return timeMs(ctx.label, '/time', ctx.envelope.time);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string') return timeMs(ctx.label, path, value);
  throw invalid(
    ctx.label,
    path,
    `expected epoch milliseconds or an RFC 3339 timestamp, received ${JSON.stringify(value)}`,
  );
}

/**
 * One 'launched' InstanceEvent per instance of a successful RunInstances record, or null for a
 * failed call (errorCode set): it launched nothing, so there is no launch to count.
 */
export function parseRunInstances(ctx: EventContext): InstanceEvent[] | null {
  const { label, envelope } = ctx;
  const head = checkShape(label, '/detail', HeadSchema, envelope.detail);
  if (head.errorCode !== undefined) return null;
  const detail = checkShape(label, '/detail', ResponseSchema, envelope.detail);
  return detail.responseElements.instancesSet.items.map((item, i) => {
    const path = `/detail/responseElements/instancesSet/items/${i}`;
    const asg = item.tagSet?.items?.find((t) => t.key === AsgTag)?.value;
    const zone = item.placement?.availabilityZone;
    return {
      // One CloudTrail record launches several instances: the envelope id alone would collapse
      // them into one fact in the store.
      eventId: `${envelope.id}/${item.instanceId}`,
      kind: 'launched',
      instanceId: item.instanceId,
      atMs: launchMs(ctx, `${path}/launchTime`, item.launchTime),
      source: 'aws.cloudtrail',
      detailType: CloudTrailType,
      ...envelopeFacts(envelope),
      amiId: item.imageId,
      ...(item.instanceType ? { instanceType: item.instanceType } : {}),
      ...(zone ? { availabilityZone: zone } : {}),
      ...(asg ? { asg } : {}),
    };
  });
}
