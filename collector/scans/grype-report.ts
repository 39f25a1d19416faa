// Grype's JSON report (`grype <target> -o json`). What bootwatch reads of it:
//   matches[]                          the marker of the format (empty for a clean image)
//     vulnerability.id, .severity      severity capitalised ("Critical", "Negligible") or not
//     vulnerability.fix.state          "fixed" when a fixed version exists ("not-fixed",
//                                      "wont-fix", "unknown" or "" otherwise)
//     artifact.name                    the package
//   descriptor.name, .version, .timestamp   "grype", its version, when (RFC 3339, may be "")
//   source.type, source.target         what was scanned ("image" and its userInput, a directory)
import { property, required, text, type JsonPath } from './json-fields.js';
import { normalizeSeverity, type Finding } from './scan-summary.js';

export const GrypePaths = ['$.matches.*', '$.descriptor', '$.source'];

export interface GrypeHeader {
  name: string | null;
  version: string | null;
  timestamp: string | null;
  sourceType: string | null;
  target: string | null;
}

export function emptyGrypeHeader(): GrypeHeader {
  return { name: null, version: null, timestamp: null, sourceType: null, target: null };
}

/** Like takeTrivyValue: a header field into `header`, or a match as a finding. */
export function takeGrypeValue(
  header: GrypeHeader,
  path: JsonPath,
  value: unknown,
): Finding | null {
  const [top] = path;
  if (top === 'descriptor') {
    header.name = text(property(value, 'name'));
    header.version = text(property(value, 'version'));
    header.timestamp = text(property(value, 'timestamp'));
    return null;
  }
  if (top === 'source') {
    const target = property(value, 'target');
    header.sourceType = text(property(value, 'type'));
    header.target = text(target) ?? text(property(target, 'userInput'));
    return null;
  }
  const where = `matches[${String(path[1])}]`;
  const vulnerability = property(value, 'vulnerability');
  const state = text(property(property(vulnerability, 'fix'), 'state'));
  return {
    id: required(vulnerability, 'id', `${where}.vulnerability`),
    pkg: required(property(value, 'artifact'), 'name', `${where}.artifact`),
    severity: normalizeSeverity(property(vulnerability, 'severity')),
    fixable: state?.toLowerCase() === 'fixed',
  };
}
