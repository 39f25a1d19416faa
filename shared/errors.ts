// Every error bootwatch raises on purpose has a code from this list, an HTTP status where it
// applies, and a message that says what was received and what was expected. docs/errors.md has
// the table with how to fix each; test/shared/errors.test.ts fails when a code is missing there.

export const ErrorCodes = {
  // configuration (agent and collector): the message names the file, the field and the value
  BW_CONFIG_INVALID: { status: 500, summary: 'a configuration field is invalid' },
  BW_CONFIG_FILE: { status: 500, summary: 'the configuration file cannot be read or parsed' },
  BW_CONFIG_DURATION: { status: 500, summary: 'a duration is not written like 90s, 15m, 6h, 30d' },

  // agent sources
  BW_IMDS_DISABLED: { status: 0, summary: 'IMDS answered 403: the metadata service is disabled' },
  BW_IMDS_NOT_FOUND: { status: 0, summary: 'IMDS answered 404 for a path' },
  BW_IMDS_UNREACHABLE: { status: 0, summary: 'IMDS did not answer within the retry budget' },
  BW_IMDS_BAD_RESPONSE: { status: 0, summary: 'IMDS answered something that cannot be used' },
  BW_CLOUD_INIT_PARSE: { status: 0, summary: 'a cloud-init status or result file does not parse' },
  BW_PROC_PARSE: { status: 0, summary: 'a /proc file does not have the expected shape' },
  BW_SPOOL_IO: { status: 0, summary: 'the spool directory cannot be written or read' },
  BW_EXPORT_FAILED: { status: 0, summary: 'the collector did not acknowledge a report' },
  BW_REPORT_REJECTED: {
    status: 0,
    summary: 'the collector refused a boot report (a 400, or a partial success that rejected it)',
  },

  // fleet simulator
  BW_SIMULATION_TARGET: {
    status: 0,
    summary: 'the collector refused or did not answer what the fleet simulator sent',
  },

  // collector intake
  BW_BODY_TOO_LARGE: {
    status: 413,
    summary: 'the request body (after decompression) exceeds the limit',
  },
  BW_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    summary: 'the Content-Type is not one the endpoint accepts',
  },
  BW_BAD_ENCODING: {
    status: 400,
    summary: 'Content-Encoding is unknown or the gzip stream is corrupt',
  },
  BW_OTLP_DECODE: { status: 400, summary: 'the OTLP body does not decode' },
  BW_EVENT_INVALID: { status: 400, summary: 'an EventBridge event does not match its schema' },
  BW_BODY_INVALID: { status: 400, summary: 'the JSON body does not match the endpoint schema' },
  BW_REQUEST_TIMEOUT: {
    status: 408,
    summary: 'the headers and body did not arrive within body_timeout',
  },
  BW_HTTP_INVALID: { status: 400, summary: 'the request is not HTTP/1.1 the collector can read' },
  BW_OVERLOADED: {
    status: 503,
    summary: 'the collector is shedding load; retry after the given delay',
  },
  BW_NOT_FOUND: { status: 404, summary: 'no such resource' },
  BW_INTERNAL: { status: 500, summary: 'an unexpected error (a bug); the log has the details' },
  BW_LISTEN: {
    status: 0,
    summary: 'the collector cannot listen on its address (in use, not local, not resolvable)',
  },

  // image scans
  BW_SCAN_JSON: {
    status: 400,
    summary: 'a scan report is not one complete JSON document (truncated, or a syntax error)',
  },
  BW_SCAN_FORMAT: {
    status: 422,
    summary: 'a scan report is JSON, but neither a Trivy (SchemaVersion 2) nor a Grype report',
  },
  BW_SCAN_IMAGE_UNKNOWN: {
    status: 404,
    summary: 'a scan report was sent for an AMI id that no one registered',
  },
  BW_SCAN_MISMATCH: {
    status: 422,
    summary: 'the scan report names another AMI than the one it was sent for',
  },

  // authentication
  BW_AUTH_MISSING: { status: 401, summary: 'no identity document and no bearer token was sent' },
  BW_AUTH_INVALID: { status: 401, summary: 'the token or the identity signature does not verify' },
  BW_AUTH_MISMATCH: {
    status: 403,
    summary: 'the report differs from its signed identity document (instance, image, account, ...)',
  },
  BW_AUTH_ADMIN: { status: 401, summary: 'the admin API needs the admin token' },
  BW_AUTH_READ: { status: 401, summary: 'the read API needs the read token or the admin token' },

  // rollouts
  BW_ROLLOUT_INVALID: {
    status: 400,
    summary:
      'a rollout request names an unknown version, a candidate equal to its baseline, or a bad policy',
  },
  BW_ROLLOUT_CONFLICT: {
    status: 409,
    summary: 'another rollout is a canary in an overlapping scope, or the rollout is finished',
  },

  // store
  BW_STORE_OPEN: { status: 500, summary: 'the store cannot be opened or migrated' },
  BW_STORE_WRITE: { status: 503, summary: 'a write to the store failed and was rolled back' },

  // SLO definitions
  BW_SLO_INVALID: {
    status: 400,
    summary: 'an SLO definition is invalid (file, line and field named)',
  },
  BW_API_REQUEST: {
    status: 0,
    summary: 'the collector did not answer a CLI request, or answered with an error',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export class BootwatchError extends Error {
  readonly code: ErrorCode;
  /** HTTP status for errors that reach a client; 0 for errors that never do. */
  readonly statusCode: number;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; statusCode?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BootwatchError';
    this.code = code;
    this.statusCode = options?.statusCode ?? ErrorCodes[code].status;
  }
}

export function isBootwatchError(e: unknown, code?: ErrorCode): e is BootwatchError {
  return e instanceof BootwatchError && (code === undefined || e.code === code);
}

/** The message of anything thrown, for logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
