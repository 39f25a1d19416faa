// Agents run concurrently, up to a limit, and may finish after simulated time has moved on, but
// only by so much: before time moves to T, every agent whose boot ended by T - maxLag has
// delivered. A report is never sent before its time (an agent starts at the tick its boot ends),
// and it is in before its launch's no_report deadline as long as maxLag is under the gap between
// the agents' deadline and the collector's report deadline (run-simulation picks it so).
import type { InstancePlan } from './fleet-plan.js';
import type { InstanceRunResult } from './instance-run.js';

interface Running {
  reportAtMs: number;
  done: Promise<void>;
}

export class AgentPipeline {
  private readonly running = new Set<Running>();

  constructor(
    private readonly limit: number,
    private readonly maxLagMs: number,
    private readonly run: (plan: InstancePlan) => Promise<InstanceRunResult>,
    private readonly onResult: (result: InstanceRunResult) => void,
  ) {}

  /** Starts the agent of `plan` once a slot is free. */
  async start(plan: InstancePlan): Promise<void> {
    while (this.running.size >= this.limit)
      await Promise.race([...this.running].map((r) => r.done));
    const entry: Running = {
      reportAtMs: plan.reportAtMs!,
      done: this.run(plan).then(
        (result) => this.onResult(result),
        // runInstance reports its own failures as results; this is a bug in the simulator.
        (e: unknown) =>
          this.onResult({
            instanceId: plan.instanceId,
            action: 'agent_failed',
            report: null,
            problem: String(e),
          }),
      ),
    };
    this.running.add(entry);
    void entry.done.finally(() => this.running.delete(entry));
  }

  /** Waits for the agents that may not lag further behind `nowMs`. */
  async catchUp(nowMs: number): Promise<void> {
    const late = [...this.running].filter((r) => r.reportAtMs <= nowMs - this.maxLagMs);
    await Promise.all(late.map((r) => r.done));
  }

  async drain(): Promise<void> {
    await Promise.all([...this.running].map((r) => r.done));
  }
}
