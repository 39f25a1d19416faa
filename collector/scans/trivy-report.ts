// Trivy's JSON report (`trivy image|vm|fs|rootfs --format json`), SchemaVersion 2, the version
// every Trivy since 0.20 writes. What bootwatch reads of it:
//   SchemaVersion                      2 (the marker of the format)
//   Trivy.Version, CreatedAt           the scanner's version, when the report was made
//   ArtifactName, ArtifactType         `ami:ami-0abc...` and "vm" for `trivy vm ami:<id>`
//   Results[].Vulnerabilities[]        VulnerabilityID, PkgName, Severity, FixedVersion, Status
// `Vulnerabilities` is absent from a result with none; `FixedVersion` from a vulnerability with no
// fix (Status "affected", "will_not_fix", ...). Everything else (descriptions, CVSS, references,
// the package lists of --list-all-pkgs) is parsed past and dropped (report-reader.ts).
import { BootwatchError } from '../../shared/errors.js';
import { property, required, text, type JsonPath } from './json-fields.js';
import { normalizeSeverity, type Finding } from './scan-summary.js';

export const TrivySchemaVersion = 2;

/** The values the reader asks the stream parser for (its path syntax). */
export const TrivyPaths = [
  '$.SchemaVersion',
  '$.Trivy',
  '$.CreatedAt',
  '$.ArtifactName',
  '$.ArtifactType',
  '$.Results.*.Vulnerabilities.*',
];

export interface TrivyHeader {
  schemaVersion: unknown;
  version: string | null;
  createdAt: string | null;
  artifactName: string | null;
  artifactType: string | null;
}

export function emptyTrivyHeader(): TrivyHeader {
  return {
    schemaVersion: undefined,
    version: null,
    createdAt: null,
    artifactName: null,
    artifactType: null,
  };
}

/**
 * One value the parser emitted at `path` (keys from the root): a header field goes into `header`,
 * a vulnerability becomes a finding. Returns the finding, or null for a header field.
 */
export function takeTrivyValue(
  header: TrivyHeader,
  path: JsonPath,
  value: unknown,
): Finding | null {
  const [top] = path;
  if (path.length === 1) {
    if (top === 'SchemaVersion') header.schemaVersion = value;
    else if (top === 'Trivy') header.version = text(property(value, 'Version'));
    else if (top === 'CreatedAt') header.createdAt = text(value);
    else if (top === 'ArtifactName') header.artifactName = text(value);
    else if (top === 'ArtifactType') header.artifactType = text(value);
    return null;
  }
  const where = `Results[${String(path[1])}].Vulnerabilities[${String(path[3])}]`;
  const id = required(value, 'VulnerabilityID', where);
  const fixed = text(property(value, 'FixedVersion'));
  return {
    id,
    pkg: required(value, 'PkgName', where),
    severity: normalizeSeverity(property(value, 'Severity')),
    fixable: (fixed !== null && fixed !== '') || property(value, 'Status') === 'fixed',
  };
}

/** Throws unless the header is that of a report bootwatch reads. */
export function checkTrivyHeader(header: TrivyHeader): void {
  if (header.schemaVersion !== TrivySchemaVersion) {
    throw new BootwatchError(
      'BW_SCAN_FORMAT',
      `a Trivy report of SchemaVersion ${JSON.stringify(header.schemaVersion)}: expected ` +
        `SchemaVersion ${TrivySchemaVersion} (trivy --format json, Trivy 0.20 or later)`,
    );
  }
}
