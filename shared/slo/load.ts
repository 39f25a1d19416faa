// SLO definitions from a file (BOOTWATCH_SLO_FILE): bootwatch's `slos:` documents and OpenSLO v1
// `kind: SLO` documents, in one YAML stream or several (`---`), and the file's `scan_policy:`
// (scan-policy.ts). Every problem of the file is reported at once, each naming the file, the line
// and the field, in one BW_SLO_INVALID error.
import { readFileSync } from 'node:fs';
import { isMap, LineCounter, parseAllDocuments, type YAMLMap } from 'yaml';
import { BootwatchError, errorMessage } from '../errors.js';
import { readBootwatchDocument } from './bootwatch-spec.js';
import { defaultSlos } from './defaults.js';
import type { SloDraft } from './draft.js';
import type { Slo } from './model.js';
import { collectOpenSloDocument, emptyObjects, reportUnused } from './openslo-objects.js';
import { readOpenSloDocument } from './openslo-spec.js';
import { DefaultScanPolicy, takeScanPolicy, type ScanPolicy } from './scan-policy.js';
import { validateDrafts } from './validate.js';
import { shown, SpecReader } from './yaml-reader.js';

export interface SloFile {
  slos: Slo[];
  scanPolicy: ScanPolicy;
}

/** The SLOs of `file`, or the built-in defaults without one. Throws BW_SLO_INVALID. */
export function loadSlos(file?: string | null): Slo[] {
  return loadSloFile(file).slos;
}

/** The SLOs and the scan policy of `file`, or the built-in defaults without one. */
export function loadSloFile(file?: string | null): SloFile {
  if (file === undefined || file === null || file === '') {
    return { slos: defaultSlos(), scanPolicy: { ...DefaultScanPolicy } };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BootwatchError(
      'BW_SLO_INVALID',
      `${file}: cannot read the SLO file: ${errorMessage(e)}`,
    );
  }
  return parseSloFile(text, file);
}

/** Parses and validates; throws BW_SLO_INVALID listing every problem. */
export function parseSloDocuments(text: string, file: string): Slo[] {
  return parseSloFile(text, file).slos;
}

/** Parses and validates the SLOs and the scan policy; throws BW_SLO_INVALID like parseSloDocuments. */
export function parseSloFile(text: string, file: string): SloFile {
  const { slos, scanPolicy, problems } = checkSloDocuments(text, file);
  if (problems.length > 0) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new BootwatchError('BW_SLO_INVALID', `${file}: ${count}:\n  ${problems.join('\n  ')}`);
  }
  return { slos, scanPolicy };
}

/** What checkSloDocuments found: the SLOs (none unless valid), the scan policy, the problems and the notes. */
export interface SloCheck extends SloFile {
  problems: string[];
  /** What the file leaves to a default or to Alertmanager (`file:line: field: ...`). */
  notes: string[];
}

/** Parses and validates without throwing: the SLOs and scan policy read, and every problem found. */
export function checkSloDocuments(text: string, file: string): SloCheck {
  const lines = new LineCounter();
  const r = new SpecReader(file, lines);
  const docs = parseAllDocuments(text, { lineCounter: lines });
  if (!Array.isArray(docs) || docs.length === 0) {
    return {
      slos: [],
      scanPolicy: { ...DefaultScanPolicy },
      problems: [`${file}: expected SLO definitions, got an empty file`],
      notes: [],
    };
  }
  for (const doc of docs) {
    for (const e of doc.errors) {
      const line = e.linePos?.[0]?.line;
      r.problems.push(
        `${file}${line ? `:${line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`,
      );
    }
  }
  if (r.problems.length > 0) {
    return { slos: [], scanPolicy: { ...DefaultScanPolicy }, problems: r.problems, notes: [] };
  }

  const mappings: YAMLMap[] = [];
  for (const doc of docs) {
    if (doc.contents === null) continue;
    if (!isMap(doc.contents)) {
      r.problem(
        r.at(doc.contents),
        '',
        `expected a mapping (slos: or an OpenSLO document), got ${shown(doc.toJSON())}`,
      );
      continue;
    }
    mappings.push(doc.contents);
  }
  const { scanPolicy, sloRoots: roots } = takeScanPolicy(r, mappings);
  // OpenSLO documents first: an SLO may refer to an SLI or alert policy written after it.
  const objects = emptyObjects();
  const openSlos: YAMLMap[] = [];
  for (const root of roots) {
    if (root.has('slos') || !(root.has('apiVersion') || root.has('kind'))) continue;
    if (collectOpenSloDocument(r, root, objects) === 'SLO') openSlos.push(root);
  }
  const drafts: SloDraft[] = [];
  for (const root of roots) {
    if (root.has('slos')) {
      drafts.push(...readBootwatchDocument(r, root));
    } else if (root.has('apiVersion') || root.has('kind')) {
      if (!openSlos.includes(root)) continue;
      const draft = readOpenSloDocument(r, root, objects);
      if (draft) drafts.push(draft);
    } else {
      r.problem(
        r.at(root),
        '',
        'expected `slos:` (bootwatch) or an OpenSLO v1 document (apiVersion: openslo/v1, kind: SLO)',
      );
    }
  }
  reportUnused(r, objects);
  const problems = [...r.problems, ...validateDrafts(drafts)];
  if (problems.length === 0 && drafts.length === 0) {
    problems.push(
      `${file}: expected at least one SLO, found none (OpenSLO documents need kind: SLO)`,
    );
  }
  return {
    slos: problems.length === 0 ? drafts.map((d) => d.slo) : [],
    scanPolicy,
    problems,
    notes: r.notes,
  };
}
