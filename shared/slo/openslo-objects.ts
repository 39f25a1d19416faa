// The OpenSLO v1 documents of one file that SLOs refer to by name (indicatorRef, alertPolicyRef,
// conditionRef, targetRef), collected before any SLO is read. Every kind OpenSLO v1 defines is
// either read or said to be informational; an unknown kind is a problem, and so is an alert
// policy or condition no SLO uses: bootwatch would otherwise drop it without a word.
import { isMap, type YAMLMap } from 'yaml';
import { shown, type Field, type SpecReader } from './yaml-reader.js';

export const OpenSloApiVersion = 'openslo/v1';

/** Kinds read for what SLOs refer to. */
const Referenced = ['SLI', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget'] as const;
type ReferencedKind = (typeof Referenced)[number];
/** Kinds that carry nothing bootwatch evaluates: a Service groups SLOs, a DataSource feeds queries. */
const Informational = ['Service', 'DataSource'] as const;
export const OpenSloKinds = ['SLO', ...Referenced, ...Informational] as const;

/** A named document: its spec, where it starts, and whether something referred to it. */
export interface NamedDocument {
  spec: Field;
  map: YAMLMap;
  /** `file:line` of the document. */
  at: string;
  used: boolean;
}

export type OpenSloObjects = Record<ReferencedKind, Map<string, NamedDocument>>;

export function emptyObjects(): OpenSloObjects {
  return {
    SLI: new Map(),
    AlertPolicy: new Map(),
    AlertCondition: new Map(),
    AlertNotificationTarget: new Map(),
  };
}

/**
 * Checks apiVersion and kind of an OpenSLO document; collects it when SLOs may refer to it.
 * Returns 'SLO' for an SLO to read, null otherwise (collected, informational or a problem).
 */
export function collectOpenSloDocument(
  r: SpecReader,
  root: YAMLMap,
  into: OpenSloObjects,
): 'SLO' | null {
  const version = r.required(root, 'apiVersion', '');
  if (version && version.value !== OpenSloApiVersion) {
    r.problem(
      version.at,
      'apiVersion',
      `expected ${OpenSloApiVersion}, got ${shown(version.value)}`,
    );
    return null;
  }
  const kind = r.required(root, 'kind', '');
  if (!kind) return null;
  const name = kind.value;
  if (name === 'SLO') return 'SLO';
  if ((Informational as readonly unknown[]).includes(name)) return null;
  if (!(Referenced as readonly unknown[]).includes(name)) {
    r.oneOf(kind, OpenSloKinds);
    return null;
  }
  const metadata = r.required(root, 'metadata', '');
  const nameField =
    metadata && isMap(metadata.node) ? r.required(metadata.node, 'name', 'metadata') : null;
  const spec = r.required(root, 'spec', '');
  const map = spec ? r.map(spec) : null;
  if (!nameField || typeof nameField.value !== 'string' || !spec || !map) return null;
  const named = into[name as ReferencedKind];
  const earlier = named.get(nameField.value);
  if (earlier) {
    r.problem(
      nameField.at,
      'metadata.name',
      `a kind: ${String(name)} named ${shown(nameField.value)} is already at ${earlier.at}`,
    );
    return null;
  }
  named.set(nameField.value, { spec, map, at: r.at(root), used: false });
  return null;
}

/** The document `ref` names, marked used; a problem at `ref` when there is none. */
export function resolveRef(
  r: SpecReader,
  ref: Field,
  kind: ReferencedKind,
  objects: OpenSloObjects,
): NamedDocument | null {
  const found = typeof ref.value === 'string' ? objects[kind].get(ref.value) : undefined;
  if (!found) {
    r.problem(ref.at, ref.path, `no kind: ${kind} document named ${shown(ref.value)} in this file`);
    return null;
  }
  found.used = true;
  return found;
}

/**
 * Alert policies and conditions no SLO uses would change nothing: said, not ignored. (An unused
 * SLI or notification target changes nothing either, but defines no alerting: left alone.)
 */
export function reportUnused(r: SpecReader, objects: OpenSloObjects): void {
  const referrers = [
    ['AlertPolicy', 'no SLO refers to it (spec.alertPolicies[].alertPolicyRef)'],
    ['AlertCondition', 'no alert policy of an SLO refers to it (spec.conditions[].conditionRef)'],
  ] as const;
  for (const [kind, why] of referrers) {
    for (const [name, doc] of objects[kind]) {
      if (!doc.used) r.problem(doc.at, `${kind} ${name}`, `${why}: refer to it, or remove it`);
    }
  }
}
