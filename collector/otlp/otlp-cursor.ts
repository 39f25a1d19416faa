// Reading one field of an OTLP message, from either a parsed JSON body or a protobufjs message
// (both have the lowerCamelCase field names, see otlp-proto-schema.ts), with the path of the
// field kept so that a bad value is reported where it is: "resourceMetrics[0].scopeMetrics[0]
// .metrics[2].sum.dataPoints[0].asInt: expected an integer (number or decimal string), got ...".
// The path is a stack of segments, joined only when something fails: decoding stays allocation-light.
import { BootwatchError } from '../../shared/errors.js';

export type Obj = Record<string, unknown>;

/** 64-bit integers as protobufjs decodes them (a `long` package Long). */
interface LongBits {
  low: number;
  high: number;
  unsigned: boolean;
}

const TwoTo32 = 4294967296;
const DecimalInt = /^-?\d+$/;
const NonFinite = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

export class Cursor {
  private readonly path: (string | number)[] = [];
  /** Long objects are how protobufjs hands over 64-bit fields; a JSON body cannot contain one. */
  private readonly longs: boolean;

  constructor(readonly format: 'OTLP/JSON' | 'OTLP/protobuf') {
    this.longs = format === 'OTLP/protobuf';
  }

  enter(segment: string | number): void {
    this.path.push(segment);
  }

  leave(): void {
    this.path.pop();
  }

  fail(key: string | number | undefined, expected: string, got: unknown): never {
    const at = key === undefined ? this.path : [...this.path, key];
    throw new BootwatchError(
      'BW_OTLP_DECODE',
      `${this.format} body: ${formatPath(at)}: expected ${expected}, got ${describe(got)}`,
    );
  }

  /** A message field: undefined when absent or null. */
  object(v: unknown, key: string | number): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
      this.fail(key, 'an object', v);
    }
    return v as Obj;
  }

  /** An element of a repeated message field: null is not a message. */
  element(v: unknown, index: number): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
      this.fail(index, 'an object', v);
    }
    return v as Obj;
  }

  /** A repeated field: empty when absent or null. */
  array(v: unknown, key: string): readonly unknown[] {
    if (v === undefined || v === null) return Empty;
    if (!Array.isArray(v)) this.fail(key, 'an array', v);
    return v;
  }

  string(v: unknown, key: string): string {
    if (typeof v === 'string') return v;
    if (v === undefined || v === null) return '';
    return this.fail(key, 'a string', v);
  }

  bool(v: unknown, key: string): boolean {
    if (typeof v === 'boolean') return v;
    if (v === undefined || v === null) return false;
    return this.fail(key, 'true or false', v);
  }

  /** double: a JSON number, or a string ("NaN", "Infinity", "-Infinity" or a decimal number). */
  double(v: unknown, key: string | number): number {
    if (typeof v === 'number') return v;
    if (v === undefined || v === null) return 0;
    if (typeof v === 'string') {
      const special = NonFinite.get(v);
      if (special !== undefined) return special;
      const n = v.trim() === '' ? NaN : Number(v);
      if (!Number.isNaN(n)) return n;
    }
    return this.fail(key, 'a number', v);
  }

  /** int32, uint32, sint32 and enum fields (enums travel as integers in OTLP/JSON too). */
  int32(v: unknown, key: string): number {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (v === undefined || v === null) return 0;
    return this.fail(key, 'an integer', v);
  }

  /** int64, sfixed64, fixed64, uint64: a number, a decimal string, or (protobuf) a Long. */
  int64(v: unknown, key: string | number): number {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && DecimalInt.test(v)) return Number(v);
    if (v === undefined || v === null) return 0;
    if (this.longs && isLong(v)) return longToNumber(v);
    return this.fail(key, 'an integer (number or decimal string)', v);
  }

  /**
   * A fixed64 UNIX-epoch nanosecond timestamp as epoch milliseconds, rounded to the nearest.
   * Exact for decimal strings and Longs: nanoseconds since 1970 passed 2^53 in April 1970, so a
   * double is off by up to 128 ns today, which rounds 1795615236616499999 to the wrong millisecond.
   */
  nanosToMs(v: unknown, key: string): number {
    if (typeof v === 'string') {
      const ms = decimalNanosToMs(v);
      if (ms >= 0) return ms;
    }
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return Math.round(v / 1e6);
    if (v === undefined || v === null) return 0;
    if (this.longs && isLong(v)) {
      // ns = hi * 2^32 + lo = hi * 4294 * 1e6 + (hi * 967296 + lo), the last term below 2^53.
      const hi = v.high >>> 0;
      const rest = hi * 967296 + (v.low >>> 0);
      const sub = rest % 1e6;
      return hi * 4294 + (rest - sub) / 1e6 + (sub >= 500000 ? 1 : 0);
    }
    return this.fail(key, 'a timestamp in nanoseconds (number or decimal string)', v);
  }

  /** bytes: base64 in JSON (proto3 JSON mapping), a Uint8Array from protobuf. */
  bytes(v: unknown, key: string): Uint8Array {
    if (v instanceof Uint8Array) return v;
    if (typeof v === 'string') return Buffer.from(v, 'base64');
    if (v === undefined || v === null) return new Uint8Array(0);
    return this.fail(key, 'base64 bytes', v);
  }
}

const Empty: readonly unknown[] = Object.freeze([]);
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether a oneof member or a proto3 `optional` field is present. Own property, not truthiness:
 * protobufjs puts defaults (0, '') on the prototype, and a present 0 is still present.
 */
export function isSet(o: Obj, key: string): boolean {
  return hasOwn.call(o, key) && o[key] !== null && o[key] !== undefined;
}

function isLong(v: unknown): v is LongBits {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LongBits).low === 'number' &&
    typeof (v as LongBits).high === 'number'
  );
}

function longToNumber(v: LongBits): number {
  const high = v.unsigned ? v.high >>> 0 : v.high;
  return high * TwoTo32 + (v.low >>> 0);
}

/** Decimal digits of nanoseconds -> nearest ms, without a double in between; -1 if not digits. */
function decimalNanosToMs(v: string): number {
  const n = v.length;
  if (n === 0 || n > 20) return -1;
  const split = n > 6 ? n - 6 : 0;
  let ms = 0;
  let sub = 0;
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    if (i < split) ms = ms * 10 + d;
    else sub = sub * 10 + d;
  }
  // sub holds the last six digits (all of them when there are fewer)
  return ms + (sub >= 500000 ? 1 : 0);
}

function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(the top level)' : out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}
