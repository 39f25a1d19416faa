// `bootwatch agent --dry-run`: observes and judges this boot as the agent would, prints the OTLP
// JSON body it would send on stdout, and says on stderr what the machine did not let it observe
// and what it would report. Writes nothing, sends nothing, exits 0.
//
// What that looks like where people try it:
// - an EC2 instance soon after launch (a Packer build, a new instance): the report the agent would
//   send, and no "not observed" line;
// - an EC2 instance long after its boot: with no probes, the boot judged from cloud-init's own
//   record of when it finished; with probes, an agent_error: probes are tried only until the
//   boot's deadline, and a probe passing now says nothing about when it first passed;
// - a laptop or a container: IMDS and cloud-init not observed (in a container, systemd neither),
//   and a kernel booted long before: nothing tells when the machine was ready, so the report is an
//   agent_error that says so, never an invented timeout.
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { AgentConfig } from './config.js';
import { readKernel } from './kernel.js';
import { collectBootMetrics } from './otlp-report.js';
import { buildReport, type AgentRuntime } from './run-agent.js';
import { Spool } from './spool.js';

export async function dryRun(
  config: AgentConfig,
  rt: AgentRuntime,
  write: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  const kernel = await readKernel(config.root);
  const spool = new Spool(config.spool_dir);
  const built = await buildReport(config, kernel, rt, (id) => spool.isFirstBoot(id, kernel.bootId));
  for (const note of built.notes) rt.log(note);
  for (const source of built.unobserved) rt.log(`dry run: not observed: ${source}`, 'warning');
  const r = built.entry.report;
  rt.log(
    `dry run: would report boot ${r.bootId} of ${r.instanceId} as ${r.outcome} (${r.reason}), ` +
      `time to ready ${r.timeToReadySeconds} s${r.failureDetail ? `: ${r.failureDetail}` : ''}; ` +
      'nothing written, nothing sent',
  );
  const metrics = await collectBootMetrics(r, built.entry.resource);
  const body = JsonMetricsSerializer.serializeRequest(metrics);
  write(`${Buffer.from(body ?? new Uint8Array()).toString('utf8')}\n`);
  return 0;
}
