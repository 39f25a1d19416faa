// Servers the ingest benchmark runs in processes of their own, from the compiled dist/ (npm run
// build): `node bench/servers.mjs echo` (a bare Fastify echo route, the baseline) or
// `node bench/servers.mjs collector` (the real collector, configured by the environment). Each
// prints `LISTENING <url>` once it accepts requests and stops on SIGTERM.
import Fastify from 'fastify';

const kind = process.argv[2];
if (kind === 'echo') {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  const raw = (_req, body, done) => done(null, body);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, raw);
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, raw);
  app.post('/v1/metrics', async (req, reply) =>
    reply.type(req.headers['content-type']).send(req.body),
  );
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
  console.error('usage: node bench/servers.mjs echo|collector');
  process.exit(2);
}
