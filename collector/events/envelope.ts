// The EventBridge envelope and the checks every detail parser shares. A problem is reported as
// BW_EVENT_INVALID naming the event's position in the batch and the JSON path of the field, with
// what was received and what was expected.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { BootwatchError } from '../../shared/errors.js';
import { Rfc3339Pattern, rfc3339Ms } from '../../shared/rfc3339.js';
import { printableProblem, TextFormat } from '../../shared/text.js';

/** An RFC 3339 timestamp string (ranges are checked again when converted, see rfc3339.ts). */
export const Rfc3339String = Type.String({ pattern: Rfc3339Pattern, maxLength: 40 });

/**
 * An id or a name the store keeps (an instance id, a region, an Auto Scaling group): printable
 * (shared/text.ts), like the boot report's. A NUL reached PostgreSQL and came back as a 503.
 */
export const Label = (minLength: number, maxLength: number) =>
  Type.String({ minLength, maxLength, format: TextFormat.printable });

/** An EC2 instance id as events carry it; the same bound as host.id in the boot report. */
export const InstanceIdString = Label(1, 64);

/**
 * The fields every EventBridge event has (https://docs.aws.amazon.com/eventbridge/latest/ref/
 * overiew-event-structure.html). `version`, `resources` and `replay-name` are not needed and not
 * required; `detail` must be an object even for sources we ignore.
 */
export const EnvelopeSchema = Type.Object({
  id: Label(1, 256),
  source: Label(1, 256),
  'detail-type': Label(1, 256),
  time: Rfc3339String,
  region: Label(1, 64),
  account: Label(1, 32),
  detail: Type.Object({}),
});

export type Envelope = Static<typeof EnvelopeSchema>;

/** Where an event sits in the request body, for error messages. */
export interface EventContext {
  /** `events[3]` inside an array body, `event` for a body that is one event. */
  label: string;
  envelope: Envelope;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  const json = JSON.stringify(value);
  const text = json.length > 60 ? `${json.slice(0, 57)}...` : json;
  return `${Array.isArray(value) ? 'array' : typeof value} ${text}`;
}

export function invalid(label: string, path: string, message: string): BootwatchError {
  return new BootwatchError('BW_EVENT_INVALID', `${label} ${path || '/'}: ${message}`);
}

/**
 * Checks `value` against `schema` and returns it typed; on failure throws for the first problem.
 * `base` is the JSON path of `value` inside the event (`/detail`), so the message names the field.
 */
export function checkShape<T extends TSchema>(
  label: string,
  base: string,
  schema: T,
  value: unknown,
): Static<T> {
  if (Value.Check(schema, value)) return value;
  const first = Value.Errors(schema, value).First();
  if (first === undefined) throw invalid(label, base, 'does not match its schema');
  const unprintable = typeof first.value === 'string' ? printableProblem(first.value) : null;
  const said =
    first.message.includes(`'${TextFormat.printable}' format`) && unprintable !== null
      ? `expected printable text, but it ${unprintable}`
      : first.message.replace(/^Expected/, 'expected');
  throw invalid(label, `${base}${first.path}`, `${said}, received ${describe(first.value)}`);
}

/** Epoch ms of a timestamp the schema already matched; rejects impossible dates like Feb 30. */
export function timeMs(label: string, path: string, text: string): number {
  const ms = rfc3339Ms(text);
  if (ms === null) {
    throw invalid(label, path, `expected an RFC 3339 timestamp, received ${describe(text)}`);
  }
  return ms;
}

/** The envelope fields every InstanceEvent carries. */
export function envelopeFacts(envelope: Envelope): { region: string; accountId: string } {
  return { region: envelope.region, accountId: envelope.account };
}
