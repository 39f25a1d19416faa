// A series' label values as one text: the storage key of a counter row and the map key of
// /metrics. Values are joined by U+001F (unit separator) in the family's label order; a value
// that holds the separator or a backslash is escaped (`\` -> `\\`, U+001F -> `\_`), so that two
// label sets never share a key and the key splits back into exactly the values it was made of.
// Label values are almost never escaped, so the key costs a join.
//
// Example: ['1.4.0', 'us-east-1'] -> '1.4.0\u001fus-east-1'; ['a\u001fb'] -> 'a\\_b'.

const Sep = '\u001f';

function needsEscape(value: string): boolean {
  return value.includes(Sep) || value.includes('\\');
}

function escape(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll(Sep, '\\_');
}

function unescape(part: string): string {
  return part.replace(/\\(.)/gs, (_m, c: string) => (c === '\\' ? '\\' : Sep));
}

export function seriesKey(values: readonly string[]): string {
  let key = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string;
    if (i > 0) key += Sep;
    key += needsEscape(v) ? escape(v) : v;
  }
  return key;
}

/** The label values of a key; `count` is the family's number of labels. */
export function seriesValues(key: string, count: number): string[] | null {
  if (count === 0) return key === '' ? [] : null;
  const parts = key.split(Sep);
  if (parts.length !== count) return null;
  return parts.map((p) => (p.includes('\\') ? unescape(p) : p));
}
