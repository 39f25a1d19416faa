// `bootwatch generate rules|dashboards`: writes the Prometheus rules or the Grafana dashboards
// generated from the SLO definitions (the same ones the collector's engine evaluates); --check
// compares instead of writing, for CI.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLinks, buildRuleFile } from '../alerts/generate-rules.js';
import { renderRuleFile, isAlertingRule } from '../alerts/rule-file.js';
import { generateDashboards } from '../dashboards/generate-dashboards.js';
import { DefaultCollectorUrl } from '../dashboards/debug.js';
import { loadSloFile } from '../shared/slo/load.js';

const Help = `usage: bootwatch generate <rules|dashboards> [options]

  rules        Prometheus recording and alerting rules -> <out>/generated/bootwatch-rules.yml
  dashboards   Grafana dashboards (executive, on-call, debug) -> <out>/generated/bootwatch-*.json

  --slo-file FILE       SLO definitions (default: $BOOTWATCH_SLO_FILE, else the built-in defaults:
                        99.9% boot success and 95% ready within 120 s over 30d, per AMI version;
                        99% of rollouts not rolled back over 90d)
  --out DIR             base folder (default: alerts for rules, dashboards for dashboards)
  --grafana-url URL     rules: Grafana base URL for the alerts' dashboard_url
                        (default ${DefaultLinks.grafanaUrl})
  --runbook-url URL     rules: where the alerts' runbook_url points (default ${DefaultLinks.runbookUrl})
  --collector-url URL   dashboards: the collector URL of the debug dashboard's timeline link
                        (default ${DefaultCollectorUrl})
  --check               write nothing; exit 1 when a file on disk differs from what would be written
  -h, --help            this text

docs/wiring.md shows how to load the files into Prometheus, Alertmanager and Grafana.`;

interface OutFile {
  path: string;
  text: string;
}

export async function runGenerateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'slo-file': { type: 'string' },
      out: { type: 'string' },
      'grafana-url': { type: 'string' },
      'runbook-url': { type: 'string' },
      'collector-url': { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(Help);
    return 0;
  }
  const target = positionals[0];
  if (positionals.length !== 1 || (target !== 'rules' && target !== 'dashboards')) {
    console.error(
      `bootwatch generate: expected 'rules' or 'dashboards', got '${positionals.join(' ')}'\n\n${Help}`,
    );
    return 2;
  }
  const { slos, scanPolicy } = loadSloFile(
    values['slo-file'] ?? process.env.BOOTWATCH_SLO_FILE ?? null,
  );
  const out = join(values.out ?? (target === 'rules' ? 'alerts' : 'dashboards'), 'generated');
  let files: OutFile[];
  let summary: string;
  if (target === 'rules') {
    const file = buildRuleFile(slos, {
      links: {
        grafanaUrl: values['grafana-url'] ?? DefaultLinks.grafanaUrl,
        runbookUrl: values['runbook-url'] ?? DefaultLinks.runbookUrl,
      },
      scanPolicy,
    });
    const rules = file.groups.flatMap((g) => g.rules);
    const alerts = rules.filter(isAlertingRule).length;
    files = [{ path: join(out, 'bootwatch-rules.yml'), text: renderRuleFile(file) }];
    summary = `${rules.length - alerts} recording and ${alerts} alerting rules for ${slos.length} SLOs`;
  } else {
    const generated = generateDashboards(slos, { collectorUrl: values['collector-url'] });
    files = generated.map((f) => ({ path: join(out, f.name), text: f.text }));
    summary = `${files.length} dashboards for ${slos.length} SLOs`;
  }
  return values.check ? check(files) : write(files, summary);
}

function write(files: OutFile[], summary: string): number {
  for (const f of files) {
    mkdirSync(join(f.path, '..'), { recursive: true });
    writeFileSync(f.path, f.text);
  }
  console.log(`wrote ${files.map((f) => f.path).join(', ')}: ${summary}`);
  return 0;
}

function check(files: OutFile[]): number {
  const stale = files.filter((f) => {
    try {
      return readFileSync(f.path, 'utf8') !== f.text;
    } catch {
      return true;
    }
  });
  for (const f of stale) console.error(`${f.path} differs from what bootwatch generate writes`);
  if (stale.length === 0) console.log(`${files.map((f) => f.path).join(', ')}: up to date`);
  return stale.length === 0 ? 0 : 1;
}
