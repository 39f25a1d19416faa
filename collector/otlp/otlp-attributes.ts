// OTLP KeyValue lists and AnyValues as plain attribute maps.
import type { AttributeMap, AttributeValue } from './otlp-model.js';
import { isSet, type Cursor, type Obj } from './otlp-cursor.js';

/**
 * How deep arrayValue/kvlistValue may nest. Attributes are flat in practice; the bound keeps a
 * hostile body (a value nested a million levels deep) from exhausting the stack.
 */
const MaxDepth = 32;

/** `repeated KeyValue <key>` of message `o` as a map; the last of a repeated key wins. */
export function readAttributes(c: Cursor, o: Obj, key: string): AttributeMap {
  return readKeyValues(c, o[key], key, 0);
}

function readKeyValues(c: Cursor, v: unknown, key: string, depth: number): AttributeMap {
  const out: AttributeMap = Object.create(null) as AttributeMap;
  const items = c.array(v, key);
  if (items.length === 0) return out;
  c.enter(key);
  for (let i = 0; i < items.length; i++) {
    const kv = c.element(items[i], i);
    c.enter(i);
    out[c.string(kv.key, 'key')] = readAnyValue(c, kv.value, 'value', depth);
    c.leave();
  }
  c.leave();
  return out;
}

function readAnyValue(c: Cursor, v: unknown, key: string | number, depth: number): AttributeValue {
  const o = c.object(v, key);
  if (o === undefined) return null;
  if (depth >= MaxDepth) c.fail(key, `values nested at most ${MaxDepth} levels deep`, v);
  c.enter(key);
  let out: AttributeValue = null;
  if (isSet(o, 'stringValue')) out = c.string(o.stringValue, 'stringValue');
  else if (isSet(o, 'boolValue')) out = c.bool(o.boolValue, 'boolValue');
  else if (isSet(o, 'intValue')) out = c.int64(o.intValue, 'intValue');
  else if (isSet(o, 'doubleValue')) out = c.double(o.doubleValue, 'doubleValue');
  else if (isSet(o, 'arrayValue')) out = readArray(c, o.arrayValue, depth + 1);
  else if (isSet(o, 'kvlistValue')) {
    const list = c.object(o.kvlistValue, 'kvlistValue');
    c.enter('kvlistValue');
    out = list === undefined ? null : readKeyValues(c, list.values, 'values', depth + 1);
    c.leave();
  } else if (isSet(o, 'bytesValue')) out = c.bytes(o.bytesValue, 'bytesValue');
  c.leave();
  return out;
}

function readArray(c: Cursor, v: unknown, depth: number): AttributeValue[] {
  const o = c.object(v, 'arrayValue');
  if (o === undefined) return [];
  c.enter('arrayValue');
  const items = c.array(o.values, 'values');
  const out: AttributeValue[] = new Array<AttributeValue>(items.length);
  c.enter('values');
  for (let i = 0; i < items.length; i++) out[i] = readAnyValue(c, items[i], i, depth);
  c.leave();
  c.leave();
  return out;
}
