// Reads SLO specs from YAML nodes, so that every problem names the file, the line and the field:
// `slos.yaml:7: slos[0].objective: expected a percentage ... got 120`. Problems are collected, not
// thrown one at a time: `bootwatch slo validate` shows them all at once.
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { parseDurationMs } from '../duration.js';

/** A value read from the file, with where it was written. */
export interface Field {
  /** The field's path for messages: `slos[0].alerting.tiers[1].long_window`. */
  path: string;
  node: Node | null;
  /** `file:line`. */
  at: string;
  value: unknown;
}

export class SpecReader {
  readonly problems: string[] = [];
  /**
   * What the file leaves to a default or to another tool, said once (`slo validate` prints them):
   * an OpenSLO SLO without timeWindow, notification targets that Alertmanager routes.
   */
  readonly notes: string[] = [];

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  /** `file:line` of a node (its first character), or of the file when there is none. */
  at(node: Node | Pair | null | undefined): string {
    const start = rangeStart(node);
    return start === null ? this.file : `${this.file}:${this.lines.linePos(start).line}`;
  }

  problem(at: string, path: string, message: string): void {
    this.problems.push(`${at}: ${path ? `${path}: ` : ''}${message}`);
  }

  note(at: string, path: string, message: string): void {
    this.notes.push(`${at}: ${path ? `${path}: ` : ''}${message}`);
  }

  /**
   * Reports each key of `unsupported` present in `map` with its own message (a field the format
   * defines and bootwatch cannot honour), rather than as an unknown field.
   */
  refuse(map: YAMLMap, path: string, unsupported: Readonly<Record<string, string>>): void {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const why = Object.hasOwn(unsupported, key) ? unsupported[key] : undefined;
      if (why !== undefined) this.problem(this.at(pair), path ? `${path}.${key}` : key, why);
    }
  }

  /** The mapping at `field`, or null (with a problem) when it is something else. */
  map(field: Field): YAMLMap | null {
    if (isMap(field.node)) return field.node;
    this.problem(field.at, field.path, `expected a mapping of fields, got ${shown(field.value)}`);
    return null;
  }

  /** The list at `field`, or null (with a problem) when it is something else. */
  seq(field: Field): YAMLSeq | null {
    if (isSeq(field.node)) return field.node;
    this.problem(field.at, field.path, `expected a list, got ${shown(field.value)}`);
    return null;
  }

  /** The items of a list as fields: `path[0]`, `path[1]`, ... */
  items(seq: YAMLSeq, path: string): Field[] {
    return seq.items.map((item, i) => this.field(item as Node | null, `${path}[${i}]`, seq));
  }

  /** Reports keys not in `allowed`, naming the ones that are. */
  onlyKeys(map: YAMLMap, path: string, allowed: readonly string[]): void {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!allowed.includes(key)) {
        this.problem(
          this.at(pair),
          path ? `${path}.${key}` : key,
          `unknown field; expected one of ${allowed.join(', ')}`,
        );
      }
    }
  }

  /** The value of `key` in `map`; undefined when absent (or null, as `key:` with nothing after). */
  get(map: YAMLMap, key: string, parentPath: string): Field | undefined {
    const path = parentPath ? `${parentPath}.${key}` : key;
    const pair = map.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
    if (!pair) return undefined;
    const node = (pair.value ?? null) as Node | null;
    const value = valueOf(node);
    if (value === null || value === undefined) return undefined;
    return { path, node, at: this.at(pair), value };
  }

  /** Like get(), with a problem when the field is missing. */
  required(map: YAMLMap, key: string, parentPath: string): Field | undefined {
    const field = this.get(map, key, parentPath);
    if (!field) {
      this.problem(
        this.at(map),
        parentPath ? `${parentPath}.${key}` : key,
        'required field is missing',
      );
    }
    return field;
  }

  field(node: Node | null, path: string, parent?: Node): Field {
    return { path, node, at: this.at(node ?? parent), value: valueOf(node) };
  }

  text(field: Field): string | null {
    if (typeof field.value === 'string' && field.value.trim() !== '') return field.value;
    this.problem(field.at, field.path, `expected text, got ${shown(field.value)}`);
    return null;
  }

  number(field: Field): number | null {
    if (typeof field.value === 'number' && Number.isFinite(field.value)) return field.value;
    this.problem(field.at, field.path, `expected a number, got ${shown(field.value)}`);
    return null;
  }

  /** `30d`, `120s`, `1h30m`: milliseconds. */
  duration(field: Field): number | null {
    const text = typeof field.value === 'number' ? `${field.value}s` : field.value;
    if (typeof text === 'string') {
      try {
        return parseDurationMs(text, field.path);
      } catch {
        // reported below with the file and line
      }
    }
    this.problem(
      field.at,
      field.path,
      `expected a duration such as 90s, 15m, 6h or 30d, got ${shown(field.value)}`,
    );
    return null;
  }

  /**
   * A percentage strictly between 0 and 100 (`99.9` or `'99.9%'`), as a ratio: 99.9 -> 0.999,
   * rounded to 12 digits so that it prints back as written.
   */
  percent(field: Field): number | null {
    const raw =
      typeof field.value === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(field.value)
        ? Number(field.value.replace('%', ''))
        : field.value;
    if (typeof raw === 'number' && raw > 0 && raw < 100) return Math.round(raw * 1e10) / 1e12;
    this.problem(
      field.at,
      field.path,
      `expected a percentage between 0 and 100 (exclusive) such as 99.9, got ${shown(field.value)}`,
    );
    return null;
  }

  /** One of `allowed`. */
  oneOf<T extends string>(field: Field, allowed: readonly T[]): T | null {
    if (typeof field.value === 'string' && (allowed as readonly string[]).includes(field.value)) {
      return field.value as T;
    }
    this.problem(
      field.at,
      field.path,
      `expected one of ${allowed.join(', ')}, got ${shown(field.value)}`,
    );
    return null;
  }
}

function rangeStart(node: Node | Pair | null | undefined): number | null {
  if (!node) return null;
  if ('range' in node && Array.isArray(node.range)) return node.range[0] ?? null;
  if ('key' in node) {
    const key = node.key as Node | null;
    if (key && 'range' in key && Array.isArray(key.range)) return key.range[0] ?? null;
    return rangeStart(node.value as Node | null);
  }
  return null;
}

function valueOf(node: Node | null): unknown {
  if (node === null) return null;
  return isScalar(node) ? node.value : node.toJSON();
}

/** A value for a message: JSON, short. */
export function shown(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
