import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkEventTimes,
  MaxEventsPerBatch,
  parseEventBatch,
} from '../../../collector/events/eventbridge.js';
import type { InstanceEvent } from '../../../collector/model.js';
import { BootwatchError } from '../../../shared/errors.js';

type Json = Record<string, unknown>;

function real(name: string): Json {
  const url = new URL(`../../fixtures/real/eventbridge/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Json;
}

function runInstances(): Json {
  const url = new URL('../../fixtures/cloudtrail-runinstances.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Json;
}

/** The BootwatchError thrown by fn (fails the test when nothing or something else is thrown). */
function errorOf(fn: () => unknown): BootwatchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BootwatchError);
    return e as BootwatchError;
  }
  throw new Error('expected a BootwatchError, nothing was thrown');
}

const asg = {
  eventId: '12345678-1234-1234-1234-123456789012',
  instanceId: 'i-1234567890abcdef0',
  atMs: 0,
  source: 'aws.autoscaling',
  region: 'us-west-2',
  accountId: '123456789012',
} as const;

describe('parseEventBatch on the real samples', () => {
  const cases: [string, InstanceEvent][] = [
    [
      'ec2-state-change-pending.json',
      {
        eventId: '7bf73129-1428-4cd3-a780-95db273d1602',
        kind: 'launched',
        instanceId: 'i-abcd1111',
        atMs: Date.UTC(2015, 10, 11, 21, 29, 54),
        source: 'aws.ec2',
        detailType: 'EC2 Instance State-change Notification',
        region: 'us-east-1',
        accountId: '123456789012',
      },
    ],
    [
      // The powertools sample writes instance_id (see SOURCES.md); accepted on purpose.
      'ec2-state-change-terminated.json',
      {
        eventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
        kind: 'terminated',
        instanceId: 'i-1234567890abcdef0',
        atMs: Date.UTC(2017, 11, 22, 18, 43, 48),
        source: 'aws.ec2',
        detailType: 'EC2 Instance State-change Notification',
        region: 'us-west-1',
        accountId: '111122223333',
      },
    ],
    [
      'autoscaling-event-launch-successful.json',
      {
        ...asg,
        kind: 'launched',
        detailType: 'EC2 Instance Launch Successful',
        asg: 'my-auto-scaling-group',
        availabilityZone: 'us-west-2b',
      },
    ],
    [
      'autoscaling-event-launch-unsuccessful.json',
      {
        ...asg,
        kind: 'launch_failed',
        detailType: 'EC2 Instance Launch Unsuccessful',
        asg: 'my-auto-scaling-group',
        availabilityZone: 'us-west-2b',
        message: 'message-text',
      },
    ],
    [
      'autoscaling-event-lifecycle-action.json',
      {
        ...asg,
        kind: 'launched',
        detailType: 'EC2 Instance-launch Lifecycle Action',
        asg: 'my-asg',
      },
    ],
    [
      'autoscaling-event-terminate-action.json',
      {
        ...asg,
        kind: 'other',
        detailType: 'EC2 Instance-terminate Lifecycle Action',
        asg: 'my-asg',
      },
    ],
    [
      'autoscaling-event-terminate-successful.json',
      {
        ...asg,
        kind: 'terminated',
        detailType: 'EC2 Instance Terminate Successful',
        asg: 'my-auto-scaling-group',
        availabilityZone: 'us-west-2b',
      },
    ],
    [
      'autoscaling-event-terminate-unsuccessful.json',
      {
        ...asg,
        kind: 'other',
        detailType: 'EC2 Instance Terminate Unsuccessful',
        asg: 'my-auto-scaling-group',
        availabilityZone: 'us-west-2b',
      },
    ],
  ];

  it.each(cases)('%s', (file, expected) => {
    expect(parseEventBatch(real(file))).toStrictEqual({ events: [expected], ignored: 0 });
  });

  it('parses them all as one array, in order', () => {
    const batch = parseEventBatch(cases.map(([file]) => real(file)));
    expect(batch.events).toStrictEqual(cases.map(([, expected]) => expected));
  });
});

describe('CloudTrail RunInstances', () => {
  const common = {
    kind: 'launched',
    atMs: Date.UTC(2024, 4, 14, 9, 12, 40),
    source: 'aws.cloudtrail',
    detailType: 'AWS API Call via CloudTrail',
    region: 'eu-west-1',
    accountId: '210987654321',
    amiId: 'ami-0123456789abcdef0',
    instanceType: 'm7g.large',
    asg: 'web-blue',
  } as const;

  it('gives one launch per instance, keyed by event id and instance id', () => {
    expect(parseEventBatch(runInstances())).toStrictEqual({
      events: [
        {
          ...common,
          eventId: '3f1c9a52-7d4e-4b8a-9e21-5c6d7e8f9a01/i-0aa11bb22cc33dd44',
          instanceId: 'i-0aa11bb22cc33dd44',
          availabilityZone: 'eu-west-1a',
        },
        {
          ...common,
          eventId: '3f1c9a52-7d4e-4b8a-9e21-5c6d7e8f9a01/i-0ee55ff66aa77bb88',
          instanceId: 'i-0ee55ff66aa77bb88',
          availabilityZone: 'eu-west-1b',
        },
      ],
      ignored: 0,
    });
  });

  it('takes launchTime over the envelope time, in either of its forms', () => {
    const event = runInstances();
    const items = (event.detail as Json).responseElements as Json;
    const [first] = (items.instancesSet as { items: Json[] }).items;
    first!.launchTime = '2024-05-14T09:12:39.250Z';
    const [a] = parseEventBatch(event).events;
    expect(a!.atMs).toBe(Date.UTC(2024, 4, 14, 9, 12, 39, 250));
    delete first!.launchTime;
    delete first!.tagSet;
    const [b] = parseEventBatch(event).events;
    expect(b!.atMs).toBe(Date.UTC(2024, 4, 14, 9, 12, 41));
    expect(b!.asg).toBeUndefined();
  });

  it('ignores a failed call and other API calls', () => {
    const failed = runInstances();
    const detail = failed.detail as Json;
    detail.errorCode = 'Client.InsufficientInstanceCapacity';
    detail.errorMessage = 'We currently do not have sufficient m7g.large capacity.';
    detail.responseElements = null;
    const other = runInstances();
    (other.detail as Json).eventName = 'TerminateInstances';
    expect(parseEventBatch([failed, other])).toStrictEqual({ events: [], ignored: 2 });
  });

  it('names the field of a malformed instance item', () => {
    const event = runInstances();
    const set = ((event.detail as Json).responseElements as Json).instancesSet as { items: Json[] };
    set.items[1]!.imageId = 42;
    const e = errorOf(() => parseEventBatch([real('ec2-state-change-pending.json'), event]));
    expect(e.code).toBe('BW_EVENT_INVALID');
    expect(e.statusCode).toBe(400);
    expect(e.message).toBe(
      'events[1] /detail/responseElements/instancesSet/items/1/imageId: expected string, received number 42',
    );
  });

  it('rejects a successful call without responseElements and a bad launchTime', () => {
    const missing = runInstances();
    delete (missing.detail as Json).responseElements;
    expect(errorOf(() => parseEventBatch(missing)).message).toMatch(
      /^event \/detail\/responseElements: expected required property/,
    );
    const bad = runInstances();
    const set = ((bad.detail as Json).responseElements as Json).instancesSet as { items: Json[] };
    set.items[0]!.launchTime = true;
    expect(errorOf(() => parseEventBatch(bad)).message).toBe(
      'event /detail/responseElements/instancesSet/items/0/launchTime: expected epoch milliseconds or an RFC 3339 timestamp, received true',
    );
  });
});

describe('envelopes and batches', () => {
  it('counts events of other sources and types as ignored', () => {
    const sqs = { ...real('ec2-state-change-pending.json'), source: 'aws.s3' };
    const spot = {
      ...real('ec2-state-change-pending.json'),
      'detail-type': 'EC2 Spot Instance Interruption Warning',
    };
    const refresh = {
      ...real('autoscaling-event-launch-successful.json'),
      'detail-type': 'EC2 Auto Scaling Instance Refresh Started',
    };
    expect(parseEventBatch([sqs, spot, refresh])).toStrictEqual({ events: [], ignored: 3 });
    expect(parseEventBatch([])).toStrictEqual({ events: [], ignored: 0 });
  });

  it('names the index and the field of the first bad element', () => {
    const good = real('ec2-state-change-pending.json');
    const noTime: Json = { ...good };
    delete noTime.time;
    const e = errorOf(() => parseEventBatch([good, good, noTime]));
    expect(e.code).toBe('BW_EVENT_INVALID');
    expect(e.message).toMatch(/^events\[2\] \/time: expected required property/);
  });

  it.each([
    [null, 'event /: expected object, received null'],
    ['hello', 'event /: expected object, received string "hello"'],
    [[1], 'events[0] /: expected object, received number 1'],
  ])('rejects %j as not an event', (body, message) => {
    expect(errorOf(() => parseEventBatch(body)).message).toBe(message);
  });

  it.each([
    ['id', 5, '/id: expected string, received number 5'],
    ['account', '', '/account: expected string length greater or equal to 1, received string ""'],
    ['detail', [], '/detail: expected object, received array []'],
    ['time', 'yesterday', '/time: expected string to match'],
    ['time', '2015-02-30T00:00:00Z', '/time: expected an RFC 3339 timestamp'],
  ])('rejects envelope field %s = %j', (field, value, message) => {
    const event = { ...real('ec2-state-change-pending.json'), [field]: value };
    expect(errorOf(() => parseEventBatch(event)).message).toContain(`event ${message}`);
  });

  it('rejects wrong detail types of recognized events', () => {
    const state = real('ec2-state-change-pending.json');
    (state.detail as Json).state = 16;
    expect(errorOf(() => parseEventBatch(state)).message).toBe(
      'event /detail/state: expected string, received number 16',
    );
    const noId = real('ec2-state-change-pending.json');
    delete (noId.detail as Json)['instance-id'];
    expect(errorOf(() => parseEventBatch(noId)).message).toBe(
      'event /detail/instance-id: expected the instance id, received nothing',
    );
    const zone = real('autoscaling-event-launch-successful.json');
    ((zone.detail as Json).Details as Json)['Availability Zone'] = ['us-west-2b'];
    expect(errorOf(() => parseEventBatch(zone)).message).toBe(
      'event /detail/Details/Availability Zone: expected string, received array ["us-west-2b"]',
    );
    const launched = real('autoscaling-event-launch-successful.json');
    (launched.detail as Json).EC2InstanceId = '';
    expect(errorOf(() => parseEventBatch(launched)).message).toMatch(
      /^event \/detail\/EC2InstanceId: expected string length greater or equal to 1/,
    );
  });

  it('refuses more than the batch limit', () => {
    const event = real('ec2-state-change-pending.json');
    const e = errorOf(() => parseEventBatch(Array(MaxEventsPerBatch + 1).fill(event)));
    expect(e.message).toContain(`received ${MaxEventsPerBatch + 1} events, expected at most`);
  });
});

describe('state and time details', () => {
  it.each([
    ['pending', 'launched'],
    ['running', 'running'],
    ['shutting-down', 'terminated'],
    ['terminated', 'terminated'],
    ['stopping', 'other'],
    ['stopped', 'other'],
    ['constructor', 'other'],
  ])('EC2 state %s is %s', (state, kind) => {
    const event = real('ec2-state-change-pending.json');
    (event.detail as Json).state = state;
    expect(parseEventBatch(event).events[0]!.kind).toBe(kind);
  });

  it('uses StartTime for a launch and EndTime for a failure', () => {
    const launch = real('autoscaling-event-launch-successful.json');
    Object.assign(launch.detail as Json, {
      StartTime: '2024-05-14T09:12:30.5Z',
      EndTime: '2024-05-14T09:13:02Z',
    });
    expect(parseEventBatch(launch).events[0]!.atMs).toBe(Date.UTC(2024, 4, 14, 9, 12, 30, 500));
    const failed = real('autoscaling-event-launch-unsuccessful.json');
    Object.assign(failed.detail as Json, {
      StartTime: '2024-05-14T11:12:30+02:00',
      EndTime: '2024-05-14T11:13:02+02:00',
    });
    expect(parseEventBatch(failed).events[0]!.atMs).toBe(Date.UTC(2024, 4, 14, 9, 13, 2));
  });

  it('keeps a launch that failed before an instance existed', () => {
    const event = real('autoscaling-event-launch-unsuccessful.json');
    Object.assign(event.detail as Json, { EC2InstanceId: '', StatusMessage: '' });
    const [failed] = parseEventBatch(event).events;
    expect(failed).toMatchObject({
      kind: 'launch_failed',
      instanceId: '',
      message: 'description-text',
    });
  });

  it('prefers instance-id when both spellings are present', () => {
    const event = real('ec2-state-change-pending.json');
    (event.detail as Json).instance_id = 'i-other';
    expect(parseEventBatch(event).events[0]!.instanceId).toBe('i-abcd1111');
  });
});

describe('what reaches the store is printable and not in the future (issue 15, item 8)', () => {
  it.each([
    ['the event id', (e: Json) => (e.id = 'abc\u0000'), '/id'],
    ['the region', (e: Json) => (e.region = 'us-east-1\u001b'), '/region'],
    [
      'the instance id',
      (e: Json) => ((e.detail as Json)['instance-id'] = 'i-1\u0000'),
      '/detail/instance-id',
    ],
  ])('refuses a control character in %s', (_, change, path) => {
    const event = real('ec2-state-change-pending.json');
    change(event);
    const e = errorOf(() => parseEventBatch(event));
    expect(e.code).toBe('BW_EVENT_INVALID');
    expect(e.message).toMatch(
      new RegExp(
        `^event ${path}: expected printable text, but it contains a control character, received string`,
      ),
    );
  });

  it('refuses a lone surrogate in an Auto Scaling group name and in a CloudTrail tag', () => {
    const launched = real('autoscaling-event-launch-successful.json');
    (launched.detail as Json).AutoScalingGroupName = 'web-\ud800';
    expect(errorOf(() => parseEventBatch(launched)).message).toContain(
      'event /detail/AutoScalingGroupName: expected printable text, but it is not valid UTF-16',
    );
    const run = runInstances();
    const item = (((run.detail as Json).responseElements as Json).instancesSet as { items: Json[] })
      .items[0]!;
    item.tagSet = { items: [{ key: 'aws:autoscaling:groupName', value: 'web\u0000' }] };
    expect(errorOf(() => parseEventBatch(run)).message).toContain('/tagSet/items/0/value');
  });

  it('keeps a failed launch whose status message holds a NUL, with U+FFFD in its place', () => {
    const event = real('autoscaling-event-launch-unsuccessful.json');
    (event.detail as Json).StatusMessage = 'capacity\u0000 error';
    expect(parseEventBatch(event).events[0]!.message).toBe('capacity\ufffd error');
  });

  it('refuses a batch with an event dated after it was received, and accepts old ones', () => {
    const received = Date.parse('2024-05-14T10:00:00Z');
    const old = parseEventBatch(real('ec2-state-change-pending.json')).events;
    expect(() => checkEventTimes(old, received)).not.toThrow();
    const soon = { ...old[0]!, atMs: received + 5 * 60_000 };
    expect(() => checkEventTimes([soon], received)).not.toThrow();
    const later = { ...old[0]!, atMs: Date.parse('2099-01-01T00:00:00Z') };
    const e = errorOf(() => checkEventTimes([...old, later], received));
    expect(e.message).toBe(
      'event 7bf73129-1428-4cd3-a780-95db273d1602 /time: 2099-01-01T00:00:00.000Z is more than 5m after the event was received (2024-05-14T10:00:00.000Z)',
    );
    const huge = { ...old[0]!, atMs: Number.MAX_SAFE_INTEGER };
    expect(errorOf(() => checkEventTimes([huge], received)).message).toContain(
      `${Number.MAX_SAFE_INTEGER} is more than 5m after`,
    );
  });
});
