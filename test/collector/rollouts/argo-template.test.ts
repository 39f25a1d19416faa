// The Argo Rollouts AnalysisTemplate of docs/rollouts.md, read from the doc and evaluated against
// real verdicts of a collector listening on loopback: each metric's successCondition and
// failureCondition as Argo Rollouts assesses a measurement (failure first, then success; with
// both set and neither true, inconclusive). The conditions are parsed by a small evaluator of the
// one form the doc uses (`result.<field> == "<text>"` or `!=`): any other form fails the test
// instead of being guessed at.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { systemClock } from '../../../shared/clock.js';
import { createHarness, type StoreHarness } from '../../support/stores.js';
import { AdminToken, testApp } from '../server/harness.js';
import { CanaryFixture } from './canary-fixture.js';

interface Metric {
  name: string;
  successCondition?: string;
  failureCondition?: string;
  provider: { web: { url: string; jsonPath: string; headers: { key: string; value: string }[] } };
}

function templateFromDoc(): { args: { name: string }[]; metrics: Metric[] } {
  const doc = readFileSync(new URL('../../../docs/rollouts.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const found = blocks
    .flatMap((b) => parseAllDocuments(b).map((d) => d.toJS() as Record<string, unknown>))
    .filter((d) => d?.kind === 'AnalysisTemplate');
  expect(found).toHaveLength(1);
  return (found[0] as { spec: { args: { name: string }[]; metrics: Metric[] } }).spec;
}

const Condition = /^result((?:\.[A-Za-z_][A-Za-z0-9_]*)+) (==|!=) "([^"]*)"$/;

function holds(condition: string, result: unknown): boolean {
  const m = Condition.exec(condition.trim());
  if (m === null) throw new Error(`condition not understood by this test: ${condition}`);
  let value: unknown = result;
  for (const key of m[1]!.slice(1).split('.')) value = (value as Record<string, unknown>)[key];
  return m[2] === '==' ? value === m[3] : value !== m[3];
}

type Assessment = 'Successful' | 'Failed' | 'Inconclusive';

/** How Argo Rollouts assesses one measurement of a metric. */
function assess(metric: Metric, result: unknown): Assessment {
  if (metric.failureCondition && holds(metric.failureCondition, result)) return 'Failed';
  if (metric.successCondition) {
    if (holds(metric.successCondition, result)) return 'Successful';
    return metric.failureCondition ? 'Inconclusive' : 'Failed';
  }
  return 'Successful';
}

describe('the Argo Rollouts AnalysisTemplate of docs/rollouts.md', () => {
  let h: StoreHarness;
  let app: FastifyInstance;
  let base: string;
  let ids: { promote: string; rollback: string; hold: string };
  const template = templateFromDoc();

  beforeAll(async () => {
    h = await createHarness('sqlite');
    app = await testApp(await h.open(), systemClock);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const canary = new CanaryFixture(base);
    await canary.registerVersions();
    ids = await canary.threeVerdicts();
  });
  afterAll(async () => {
    await app?.close();
    await h?.dispose();
  });

  /** A measurement as the web provider makes it: the URL and headers with the args filled in. */
  async function measure(metric: Metric, rolloutId: string): Promise<unknown> {
    const args: Record<string, string> = {
      'rollout-id': rolloutId,
      'bootwatch-url': base,
      'read-token': AdminToken,
    };
    expect(template.args.map((a) => a.name).sort()).toEqual(Object.keys(args).sort());
    const fill = (text: string) => text.replace(/\{\{args\.([a-z-]+)\}\}/g, (_, k) => args[k]!);
    const web = metric.provider.web;
    expect(web.jsonPath).toBe('{$}'); // the whole answer is `result`
    const r = await fetch(fill(web.url), {
      headers: Object.fromEntries(web.headers.map((x) => [x.key, fill(x.value)])),
    });
    expect(r.status).toBe(200);
    return r.json();
  }

  it('the verdicts behind the cases are what they should be', async () => {
    for (const [verdict, id] of Object.entries(ids)) {
      expect(((await measure(template.metrics[0]!, id)) as { verdict: string }).verdict).toBe(
        verdict,
      );
    }
  });

  const expected: Record<string, Record<string, Assessment>> = {
    'canary-watch': { promote: 'Successful', hold: 'Successful', rollback: 'Failed' },
    'promote-gate': { promote: 'Successful', hold: 'Inconclusive', rollback: 'Failed' },
  };
  for (const [name, cases] of Object.entries(expected)) {
    it(`${name}: ${Object.entries(cases)
      .map(([v, a]) => `${v} is ${a}`)
      .join(', ')}`, async () => {
      const metric = template.metrics.find((m) => m.name === name);
      expect(metric).toBeDefined();
      for (const [verdict, assessment] of Object.entries(cases)) {
        const id = ids[verdict as keyof typeof ids];
        expect(assess(metric!, await measure(metric!, id)), `${name} on ${verdict}`).toBe(
          assessment,
        );
      }
    });
  }

  it('understands no other condition form than the one the doc uses', () => {
    expect(() => holds('result.verdict in ["promote"]', {})).toThrow(/not understood/);
    expect(holds('result.rollout.state == "canary"', { rollout: { state: 'canary' } })).toBe(true);
  });
});
