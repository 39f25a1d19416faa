// A collector in a process of its own, configured by the environment, for the tests that kill it.
// Prints `LISTENING <url>` once it accepts requests.
import { loadCollectorConfig } from '../../../collector/config.js';
import { runCollector } from '../../../collector/run-collector.js';

const running = await runCollector(loadCollectorConfig(process.env));
process.stdout.write(`LISTENING ${running.url}\n`);
