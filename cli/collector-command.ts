// `bootwatch collector`: runs the collector until SIGTERM or SIGINT, then shuts down gracefully.
import { parseArgs } from 'node:util';
import { loadCollectorConfig } from '../collector/config.js';
import { runCollector } from '../collector/run-collector.js';

const Help = `usage: bootwatch collector [--config FILE]

Runs the bootwatch collector: OTLP/HTTP intake (POST /v1/metrics), EventBridge intake
(POST /v1/events), the image registry and JSON API (/api/v1/...), Prometheus exposition
(/metrics), /healthz and /readyz. Stops gracefully on SIGTERM or SIGINT.

  --config FILE   YAML configuration (default: $BOOTWATCH_CONFIG); the environment wins over it
  -h, --help      this text

Every field is in the README's configuration reference; the usual ones:
  BOOTWATCH_LISTEN            host:port (default 127.0.0.1:4318)
  BOOTWATCH_STORE             SQLite file (default ./data/bootwatch.db) or a postgres:// URL
  BOOTWATCH_TOKEN             bearer token agents send (or BOOTWATCH_IDENTITY_CERT_DIR)
  BOOTWATCH_ADMIN_TOKEN       bearer token for the admin API (image registry); it reads too
  BOOTWATCH_READ_TOKEN        bearer token for the read API (GET /api/v1/...)
  BOOTWATCH_OPEN_READS        true: the read API answers without a token (off by default)
  BOOTWATCH_REPORT_DEADLINE   silence after launch that makes a no_report failure (default 15m)`;

export async function runCollectorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(Help);
    return 0;
  }
  const config = loadCollectorConfig(
    process.env,
    values.config ?? process.env.BOOTWATCH_CONFIG ?? null,
  );
  const running = await runCollector(config);
  await running.closed;
  return 0;
}
