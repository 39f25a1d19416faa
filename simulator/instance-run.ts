// One simulated instance's boot, observed and reported by the real agent: its machine root is
// made, an IMDS is leased to serve its identity, and runAgent runs in-process, on a clock of its
// own that stands at the moment the plan says the agent runs. Sleeps (IMDS retries, delivery
// backoff) move that clock forward by what they ask and wait a few real milliseconds at most, so
// retries behave as they would, only faster.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadAgentConfig } from '../agent/config.js';
import { runAgent, type AgentRunResult, type AgentRuntime } from '../agent/run-agent.js';
import type { BootReport } from '../shared/boot-report.js';
import { ManualClock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import { makeBootRoot } from './boot-root.js';
import type { InstancePlan } from './fleet-plan.js';
import type { ImdsPool } from './imds-pool.js';
import { machineFor, ReadyMarker } from './machine.js';

export interface InstanceRunContext {
  imds: ImdsPool;
  collectorUrl: string;
  /** The agent token (BOOTWATCH_TOKEN); null when the collector takes anonymous reports. */
  token: string | null;
  /** The agents' YAML configuration (written once per simulation, see agent-config.ts). */
  agentConfigFile: string;
}

export interface InstanceRunResult {
  instanceId: string;
  action: AgentRunResult['action'] | 'agent_failed';
  report: BootReport | null;
  /** The agent's last log line when the report did not get through. */
  problem: string | null;
}

/** Longest real wait for one agent sleep: the simulated clock moves by the full amount. */
const MaxRealSleepMs = 20;

export async function runInstance(
  plan: InstancePlan,
  ctx: InstanceRunContext,
): Promise<InstanceRunResult> {
  const machine = machineFor(plan);
  const boot = await makeBootRoot(machine.bootRoot);
  const logs: string[] = [];
  try {
    if (machine.ready) await boot.writeFile(ReadyMarker, 'ok\n');
    const clock = new ManualClock(plan.reportAtMs!);
    const rt: AgentRuntime = {
      clock,
      sleep: async (ms) => {
        clock.advance(ms);
        await delay(Math.min(Math.max(0, ms), MaxRealSleepMs));
      },
      log: (line) => logs.push(line),
    };
    const result = await ctx.imds.lease(machine.identity, (endpoint) => {
      const env: NodeJS.ProcessEnv = {
        BOOTWATCH_ROOT: boot.root,
        BOOTWATCH_IMDS_ENDPOINT: endpoint,
        BOOTWATCH_COLLECTOR_URL: ctx.collectorUrl,
        BOOTWATCH_SPOOL_DIR: join(boot.root, 'var/lib/bootwatch/spool'),
        ...(ctx.token ? { BOOTWATCH_TOKEN: ctx.token } : {}),
      };
      const config = loadAgentConfig({ file: ctx.agentConfigFile, env });
      return runAgent(config, ctx.collectorUrl, rt);
    });
    return {
      instanceId: plan.instanceId,
      action: result.action,
      report: result.report ?? null,
      problem:
        result.action === 'left_in_spool' || result.action === 'rejected'
          ? (logs[logs.length - 1] ?? 'not acknowledged')
          : null,
    };
  } catch (e) {
    // runAgent does not throw at the boot; what lands here is the simulator's own failure (the
    // machine root, the configuration), reported with the instance it happened to.
    return {
      instanceId: plan.instanceId,
      action: 'agent_failed',
      report: null,
      problem: errorMessage(e),
    };
  } finally {
    await boot.cleanup();
  }
}
