// Test support for the rollout tests that need real verdicts from a running collector: versions
// registered, rollouts started an hour ago with a small policy (5 boots per side, no minimum
// duration), and first boots reported through OTLP over HTTP. Fixed seed for times to ready.
import { expect } from 'vitest';
import { seededRandom } from '../../../simulator/random.js';
import { AdminToken, AgentToken, otlpJson, testBoot } from '../server/harness.js';

export const [Base, Good, Bad] = ['5.0.0', '5.0.1', '5.0.2'];

export class CanaryFixture {
  private n = 0;
  private readonly random = seededRandom(5);

  constructor(readonly url: string) {}

  async post(path: string, body: unknown, token = AdminToken) {
    const r = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as { rollout: { id: number } } };
  }

  async registerVersions(): Promise<void> {
    for (const [i, version] of [Base, Good, Bad].entries()) {
      const r = await this.post('/api/v1/images', { amiId: `ami-0a1b2c3d4e5f6002${i}`, version });
      expect(r.status).toBe(201);
    }
  }

  /** `count` first boots of a version in an asg, launched half an hour ago. */
  async boots(version: string, asg: string, count: number, failed = false): Promise<void> {
    const list = Array.from({ length: count }, () => {
      this.n += 1;
      const n = this.n;
      return testBoot({
        instanceId: `i-${n.toString(16).padStart(17, '0')}`,
        bootId: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
        amiVersion: version,
        asg,
        launchedAt: new Date(Date.now() - 30 * 60_000).toISOString(),
        outcome: failed ? 'failure' : 'success',
        reason: failed ? 'cloud_init_error' : 'none',
        timeToReadySeconds: Math.round(40_000 + this.random() * 20_000) / 1000,
      });
    });
    expect((await this.post('/v1/metrics', otlpJson(list), AgentToken)).status).toBe(200);
  }

  /** A canary of `candidate` against Base in one group, started an hour ago; its id. */
  async start(candidate: string, asg: string): Promise<string> {
    const r = await this.post('/api/v1/rollouts', {
      candidate,
      baseline: Base,
      scope: { asgs: [asg] },
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      policy: { minBootsPerSide: 5, minCanaryDurationMs: 0 },
    });
    expect(r.status).toBe(201);
    return String(r.json.rollout.id);
  }

  /** Three canaries whose verdicts are promote, rollback and hold. */
  async threeVerdicts(): Promise<{ promote: string; rollback: string; hold: string }> {
    const promote = await this.start(Good, 'good');
    await this.boots(Good, 'good', 12);
    await this.boots(Base, 'good', 12);
    const rollback = await this.start(Bad, 'bad');
    await this.boots(Bad, 'bad', 10, true);
    await this.boots(Base, 'bad', 10);
    const hold = await this.start(Good, 'quiet');
    return { promote, rollback, hold };
  }
}
