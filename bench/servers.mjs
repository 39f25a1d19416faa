// Servers the ingest benchmark runs in processes of their own, from the compiled dist/ (npm run
// build): `node bench/servers.mjs echo` (a bare Fastify echo route, the baseline),
// `node bench/servers.mjs decode` (the echo route, but it decodes the OTLP body and extracts the
// boots and heartbeats as the collector does, then answers `{}` without storing anything: the ceiling for any
// collector that has to read what it is sent) or `node bench/servers.mjs collector` (the real
// collector, configured by the environment). Each prints `LISTENING <url>` once it accepts
// requests and stops on SIGTERM.
import Fastify from 'fastify';

const kind = process.argv[2];
if (kind === 'echo' || kind === 'decode') {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  const raw = (_req, body, done) => done(null, body);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, raw);
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, raw);
  if (kind === 'echo') {
    app.post('/v1/metrics', async (req, reply) =>
      reply.type(req.headers['content-type']).send(req.body),
    );
  } else {
    const { decodeBody } = await import('../dist/collector/otlp/body.js');
    const { decodeMetricsRequest } = await import('../dist/collector/otlp/decode.js');
    const { extractBoots } = await import('../dist/collector/otlp/boot-extract.js');
    const { encodeExportResponse } = await import('../dist/collector/otlp/response.js');
    app.post('/v1/metrics', async (req, reply) => {
      const contentType = req.headers['content-type'];
      const body = decodeBody(req.body, req.headers['content-encoding'], 4 * 1024 * 1024);
      const { boots, heartbeats } = extractBoots(decodeMetricsRequest(body, contentType), {
        receivedAtMs: Date.now(),
        known: {},
      });
      if (boots.length + heartbeats.length === 0) throw new Error('the body holds no boot report');
      const out = encodeExportResponse(contentType.includes('json') ? 'json' : 'protobuf');
      return reply.type(out.contentType).send(out.body);
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`LISTENING http://127.0.0.1:${app.server.address().port}\n`);
  process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
} else if (kind === 'collector') {
  const { loadCollectorConfig } = await import('../dist/collector/config.js');
  const { runCollector } = await import('../dist/collector/run-collector.js');
  const running = await runCollector(loadCollectorConfig(process.env));
  process.stdout.write(`LISTENING ${running.url}\n`);
  running.closed.then(() => process.exit(0));
} else {
  console.error('usage: node bench/servers.mjs echo|decode|collector');
  process.exit(2);
}
