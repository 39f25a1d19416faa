// A scanner's JSON report, read as it streams in: the bytes go through a JSON tokenizer, and only
// the values trivy-report.ts and grype-report.ts ask for are built, one at a time (a
// vulnerability, the report's header). Each is counted and dropped (keepStack: false), so what is
// held at any moment is one entry and the summary so far, not the report: a 50 MB report costs
// about what its distinct (id, package) pairs take, not 2-3 times the body as JSON.parse does.
//
// The format is told by shape, not by any header: `SchemaVersion` at the top is Trivy, `matches`
// is Grype. Keys can come in any order (Grype writes `matches` first and its `descriptor` last),
// so both readers collect until the end, and the shape is decided once the document is complete.
import { Tokenizer, TokenParser, TokenType, type ParsedElementInfo } from '@streamparser/json';
import { BootwatchError, errorMessage, isBootwatchError } from '../../shared/errors.js';
import { rfc3339Ms } from '../../shared/rfc3339.js';
import { emptyGrypeHeader, GrypePaths, takeGrypeValue } from './grype-report.js';
import type { JsonPath } from './json-fields.js';
import { SummaryBuilder, type ScanSummary } from './scan-summary.js';
import { checkTrivyHeader, emptyTrivyHeader, TrivyPaths, takeTrivyValue } from './trivy-report.js';

export type Scanner = 'trivy' | 'grype';

/** What a report says about itself, and its counts. */
export interface ScanReport {
  scanner: Scanner;
  scannerVersion: string | null;
  /** The report's own time (Trivy CreatedAt, Grype descriptor.timestamp), epoch ms; null without. */
  createdAtMs: number | null;
  /** What was scanned: `ami:ami-0abc...` for `trivy vm`, an image reference, a path. */
  artifactName: string | null;
  /** `vm`, `container_image`, `filesystem` (Trivy); `image`, `directory` (Grype source.type). */
  artifactType: string | null;
  summary: ScanSummary;
}

const TrivyTop = new Set([
  'SchemaVersion',
  'Trivy',
  'CreatedAt',
  'ArtifactName',
  'ArtifactType',
  'Results',
]);
/** Top-level keys named in the error for a document of neither shape. */
const MaxKeysShown = 12;

export class ScanReportReader {
  private readonly tokenizer = new Tokenizer();
  private readonly parser = new TokenParser({
    paths: [...TrivyPaths, ...GrypePaths],
    keepStack: false,
  });
  private bytes = 0;
  /** Nesting depth, and whether the next string at depth 1 is a key of the root object. */
  private depth = 0;
  private keyNext = false;
  private readonly topKeys: string[] = [];
  private readonly trivy = { header: emptyTrivyHeader(), findings: new SummaryBuilder() };
  private readonly grype = { header: emptyGrypeHeader(), findings: new SummaryBuilder() };

  constructor() {
    this.tokenizer.onToken = (token) => {
      this.watch(token.token, token.value);
      this.parser.write(token);
    };
    this.parser.onValue = (info) => this.take(info);
    // Errors are thrown out of write()/end() as they are: ours (BW_SCAN_FORMAT) stay ours.
    this.tokenizer.onError = (e) => {
      throw e;
    };
    this.parser.onError = (e) => {
      throw e;
    };
  }

  /** Feeds the next bytes; throws BW_SCAN_JSON or BW_SCAN_FORMAT as soon as they show one. */
  write(chunk: Uint8Array): void {
    try {
      this.tokenizer.write(chunk);
    } catch (e) {
      throw this.failure(e);
    }
    this.bytes += chunk.length;
  }

  /** The report, once every byte was written. */
  end(): ScanReport {
    let midToken = false;
    try {
      this.tokenizer.end();
    } catch (e) {
      if (isBootwatchError(e)) throw e;
      midToken = true;
    }
    if (midToken || !this.parser.isEnded) {
      throw new BootwatchError(
        'BW_SCAN_JSON',
        this.bytes === 0
          ? 'the body is empty; expected the JSON report of a scanner'
          : `the JSON ends after ${this.bytes} bytes ` +
              `${midToken ? 'in the middle of a value' : 'with an object or array still open'}: ` +
              'the report is truncated; send the whole file',
      );
    }
    return this.report();
  }

  private failure(e: unknown): BootwatchError {
    if (isBootwatchError(e)) return e;
    return new BootwatchError(
      'BW_SCAN_JSON',
      `the body is not valid JSON (in the bytes after the first ${this.bytes}): ${errorMessage(e)}`,
      { cause: e },
    );
  }

  /** Keeps track of the root object's keys (for the format markers) from the raw tokens. */
  private watch(token: TokenType, value: unknown): void {
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
      if (this.depth === 0 && token !== TokenType.LEFT_BRACE) {
        throw new BootwatchError(
          'BW_SCAN_FORMAT',
          'the body is a JSON array; expected the JSON object a scanner writes (Trivy or Grype)',
        );
      }
      this.depth += 1;
      this.keyNext = this.depth === 1;
      return;
    }
    if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) {
      this.depth -= 1;
      this.keyNext = false;
      return;
    }
    if (this.depth === 0) {
      throw new BootwatchError(
        'BW_SCAN_FORMAT',
        `the body is the JSON value ${JSON.stringify(value)?.slice(0, 40)}; expected the JSON ` +
          'object a scanner writes (Trivy or Grype)',
      );
    }
    if (this.depth !== 1) return;
    if (this.keyNext && token === TokenType.STRING && this.topKeys.length < 1000) {
      this.topKeys.push(value as string);
    }
    this.keyNext = token === TokenType.COMMA;
  }

  private take({ value, key, stack }: ParsedElementInfo): void {
    const path: JsonPath = [...stack.slice(1).map((s) => s.key), key];
    if (TrivyTop.has(String(path[0]))) {
      const finding = takeTrivyValue(this.trivy.header, path, value);
      if (finding) this.trivy.findings.add(finding);
    } else {
      const finding = takeGrypeValue(this.grype.header, path, value);
      if (finding) this.grype.findings.add(finding);
    }
  }

  private report(): ScanReport {
    const trivy = this.topKeys.includes('SchemaVersion');
    const grype = this.topKeys.includes('matches');
    if (trivy && grype) {
      throw new BootwatchError(
        'BW_SCAN_FORMAT',
        'the report has both SchemaVersion (Trivy) and matches (Grype) at the top; send one ' +
          "scanner's report as it wrote it",
      );
    }
    if (trivy) {
      const h = this.trivy.header;
      checkTrivyHeader(h);
      return {
        scanner: 'trivy',
        scannerVersion: h.version,
        createdAtMs: h.createdAt === null ? null : rfc3339Ms(h.createdAt),
        artifactName: h.artifactName,
        artifactType: h.artifactType,
        summary: this.trivy.findings.summary(),
      };
    }
    if (grype) {
      const h = this.grype.header;
      return {
        scanner: 'grype',
        scannerVersion: h.version,
        createdAtMs: h.timestamp === null ? null : rfc3339Ms(h.timestamp),
        artifactName: h.target,
        artifactType: h.sourceType,
        summary: this.grype.findings.summary(),
      };
    }
    const keys = this.topKeys.slice(0, MaxKeysShown).join(', ');
    throw new BootwatchError(
      'BW_SCAN_FORMAT',
      'expected a Trivy JSON report (SchemaVersion 2, Results) or a Grype JSON report ' +
        `(matches), got an object with ${keys === '' ? 'no keys' : `the keys ${keys}`}` +
        (this.topKeys.length > MaxKeysShown ? ', ...' : ''),
    );
  }
}

/** The report in `bytes`, read the same way (tests, the CLI's own checks). */
export function readScanReport(bytes: Uint8Array): ScanReport {
  const reader = new ScanReportReader();
  reader.write(bytes);
  return reader.end();
}
