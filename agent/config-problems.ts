// Turns schema validation errors into the problems an operator can act on: the field, what was
// expected, what was received. TypeBox's own messages ("Expected union value") name neither the
// field nor the value, and a union reports every variant's errors at once, so the probe union is
// narrowed by its `type` first and only the chosen variant's errors are reported.
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { durationTextMs, formatRange } from '../shared/duration.js';
import { durationRangeOf } from './config-schema.js';

export interface Problem {
  /** Path into the checked value, one segment per key or index. */
  path: readonly (string | number)[];
  /** `expected <what>, got <value>` or `unknown field; expected one of ...`. */
  reason: string;
}

/** Every problem of `value` against `schema`, one per field, in document order. */
export function schemaProblems(
  schema: TSchema,
  value: unknown,
  base: readonly (string | number)[] = [],
): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const path = [...base, ...pointerSegments(error.path, value)];
    const key = JSON.stringify(path);
    // A missing required field is reported twice (missing, then wrong type): keep the first.
    if (seen.has(key)) continue;
    seen.add(key);
    if (error.type === ValueErrorType.Union) problems.push(...unionProblems(error, path));
    else problems.push({ path, reason: reasonFor(error) });
  }
  return problems;
}

function unionProblems(error: ValueError, path: (string | number)[]): Problem[] {
  const variants = (error.schema.anyOf ?? []) as TSchema[];
  const value = error.value;
  const types = variants.map((v) => v.properties?.type?.const).filter((t) => t !== undefined);
  if (!isPlainObject(value) || types.length !== variants.length) {
    return [{ path, reason: `expected ${describe(error.schema)}, got ${show(value)}` }];
  }
  const variant = variants.find((v) => v.properties.type.const === value.type);
  if (!variant) {
    const reason = `expected one of ${types.join(', ')}, got ${show(value.type)}`;
    return [{ path: [...path, 'type'], reason }];
  }
  return schemaProblems(variant, value, path);
}

function reasonFor(error: ValueError): string {
  const { schema, value } = error;
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown field; expected one of ${Object.keys(schema.properties ?? {}).join(', ')}`;
    case ValueErrorType.ObjectRequiredProperty:
      return `expected ${describe(schema)}, got nothing`;
    case ValueErrorType.StringFormat: {
      // '0s' or '30d' is a well-formed duration that the format still rejects: say why.
      const range = durationRangeOf(schema);
      const ms = range !== undefined && typeof value === 'string' ? durationTextMs(value) : null;
      if (range !== undefined && ms !== null) {
        const expected = ms === 0 ? 'above zero' : formatRange(range);
        return `expected a duration ${expected}, got ${show(value, schema)}`;
      }
      return `expected ${describe(schema)}, got ${show(value, schema)}`;
    }
    default:
      return `expected ${describe(schema)}, got ${show(value, schema)}`;
  }
}

/** What a schema accepts, in words: its description, else a phrase built from its kind. */
export function describe(schema: TSchema): string {
  if (typeof schema.description === 'string') return schema.description;
  const range = (noun: string) => {
    const { minimum: min, maximum: max } = schema;
    if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
    if (min !== undefined) return `${noun} of at least ${min}`;
    if (max !== undefined) return `${noun} of at most ${max}`;
    return noun;
  };
  switch (schema[Kind]) {
    case 'String':
      if (schema.maxLength !== undefined)
        return `a string of at most ${schema.maxLength} characters`;
      return schema.minLength ? 'a non-empty string' : 'a string';
    case 'Integer':
      return range('an integer');
    case 'Number':
      return range('a number');
    case 'Boolean':
      return 'true or false';
    case 'Literal':
      return show(schema.const);
    case 'Array':
      return 'a list';
    case 'Object':
      return 'a mapping';
    default:
      return `a value of kind ${String(schema[Kind])}`;
  }
}

/** A received value as an operator would write it; never the value of a writeOnly (secret) field. */
export function show(value: unknown, schema?: TSchema): string {
  if (value === undefined) return 'nothing';
  if (schema?.writeOnly) return 'a value (not shown: the field is secret)';
  if (typeof value === 'string') {
    const text = value.length > 80 ? `${value.slice(0, 80)}...` : value;
    return `'${JSON.stringify(text).slice(1, -1)}'`;
  }
  if (Array.isArray(value)) {
    return value.length === 0
      ? 'an empty list'
      : `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (isPlainObject(value)) return 'a mapping';
  return String(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at a path, or undefined when the path leaves the document. */
export function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isPlainObject(node) && typeof segment === 'string') node = node[segment];
    else return undefined;
  }
  return node;
}

/** `/probes/1/timeout` -> ['probes', 1, 'timeout']: an index where the document has a list. */
function pointerSegments(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const segments: (string | number)[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    segments.push(segment);
    node = valueAt(node, [segment]);
  }
  return segments;
}

/** ['probes', 1, 'timeout'] -> `probes[1].timeout`, the way the message names a field. */
export function fieldName(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
