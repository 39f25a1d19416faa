import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAgentConfig, requireCollectorUrl } from '../../agent/config.js';
import { BootwatchError, isBootwatchError } from '../../shared/errors.js';

// The known-good fixture: every field set, none to its default. Each error case below is this file
// with exactly one change.
const Good = `# bootwatch agent configuration
root: /mnt/root
imds:
  endpoint: http://[fd00:ec2::254]/
  token_ttl: 1h
  allow_v1: false
  timeout: 2s
  budget: 45s
  tags: false
  version_tag: release
collector:
  url: https://collector.example.com:4318/
  token: s3cr3t-token
  timeout: 15s
  send_identity: false
spool_dir: /srv/bootwatch/spool
manifest: /opt/image.json
deadline: 15m
retry:
  initial_backoff: 500ms
  max_backoff: 2m
  max_attempts_per_run: 25
  budget_after_deadline: 30m
heartbeat:
  enabled: true
  interval: 5m
probes:
  - name: web
    type: http
    url: http://127.0.0.1:8080/healthz
    expect_status: 204
    timeout: 3s
    interval: 1s
  - name: postgres
    type: tcp
    host: 127.0.0.1
    port: 5432
    timeout: 10s
  - name: app-ready
    type: command
    command: [/usr/local/bin/app, check, --quiet]
  - name: nginx
    type: systemd
    unit: nginx.service
  - name: marker
    type: file
    path: /var/run/app/ready
`;

const dir = mkdtempSync(join(tmpdir(), 'bootwatch-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function write(text: string): string {
  const file = join(dir, `agent-${++files}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** The fixture with one change; fails when `from` is not in the fixture exactly once. */
function goodWith(from: string, to: string): string {
  expect(Good.split(from).length, `fixture has exactly one '${from}'`).toBe(2);
  return Good.replace(from, to);
}

function errorOf(load: () => unknown): BootwatchError {
  try {
    load();
  } catch (e) {
    if (e instanceof BootwatchError) return e;
    throw e;
  }
  throw new Error('expected the config to be rejected');
}

describe('loadAgentConfig', () => {
  it('reads every field of a full file, durations in milliseconds', () => {
    const config = loadAgentConfig({ file: write(Good), env: {} });
    expect(config).toEqual({
      root: '/mnt/root',
      imds: {
        endpoint: 'http://[fd00:ec2::254]',
        token_ttl: 3_600_000,
        allow_v1: false,
        timeout: 2000,
        budget: 45_000,
        tags: false,
        version_tag: 'release',
      },
      collector: {
        url: 'https://collector.example.com:4318',
        token: 's3cr3t-token',
        timeout: 15_000,
        send_identity: false,
      },
      spool_dir: '/srv/bootwatch/spool',
      manifest: '/opt/image.json',
      deadline: 900_000,
      retry: {
        initial_backoff: 500,
        max_backoff: 120_000,
        max_attempts_per_run: 25,
        budget_after_deadline: 1_800_000,
      },
      heartbeat: { enabled: true, interval: 300_000 },
      probes: [
        {
          name: 'web',
          type: 'http',
          url: 'http://127.0.0.1:8080/healthz',
          expect_status: 204,
          timeout: 3000,
          interval: 1000,
        },
        {
          name: 'postgres',
          type: 'tcp',
          host: '127.0.0.1',
          port: 5432,
          timeout: 10_000,
          interval: 2000,
        },
        {
          name: 'app-ready',
          type: 'command',
          command: ['/usr/local/bin/app', 'check', '--quiet'],
          timeout: 5000,
          interval: 2000,
        },
        { name: 'nginx', type: 'systemd', unit: 'nginx.service', timeout: 5000, interval: 2000 },
        { name: 'marker', type: 'file', path: '/var/run/app/ready', timeout: 5000, interval: 2000 },
      ],
    });
  });

  it('has the documented defaults when there is no file and no environment', () => {
    expect(loadAgentConfig({ env: {} })).toEqual({
      root: '/',
      imds: {
        endpoint: 'http://169.254.169.254',
        token_ttl: 21_600_000,
        allow_v1: false,
        timeout: 1000,
        budget: 30_000,
        tags: true,
        version_tag: 'bootwatch:ami-version',
      },
      collector: { timeout: 10_000, send_identity: true },
      spool_dir: '/var/lib/bootwatch/spool',
      manifest: '/etc/bootwatch/image.json',
      deadline: 600_000,
      retry: {
        initial_backoff: 1000,
        max_backoff: 60_000,
        max_attempts_per_run: 0,
        budget_after_deadline: 3_600_000,
      },
      heartbeat: { enabled: false, interval: 60_000 },
      probes: [],
    });
  });

  it('keeps the defaults of a section the file leaves empty, and reads an empty file', () => {
    const config = loadAgentConfig({ file: write('imds:\n  # tags: false\nprobes:\n'), env: {} });
    expect(config.imds.tags).toBe(true);
    expect(config.probes).toEqual([]);
    expect(loadAgentConfig({ file: write('# nothing yet\n'), env: {} }).deadline).toBe(600_000);
  });

  it('lets the environment win over the file', () => {
    const file = write(goodWith('  enabled: true\n', '  enabled: false\n'));
    const config = loadAgentConfig({
      file,
      env: {
        BOOTWATCH_ROOT: '/env/root',
        BOOTWATCH_IMDS_ENDPOINT: 'http://127.0.0.1:1338',
        BOOTWATCH_COLLECTOR_URL: 'http://collector:4318',
        BOOTWATCH_TOKEN: 'from-env',
        BOOTWATCH_SPOOL_DIR: '/env/spool',
        BOOTWATCH_MANIFEST: '/env/image.json',
        BOOTWATCH_DEADLINE: '20m',
        BOOTWATCH_HEARTBEAT_INTERVAL: '30s',
      },
    });
    expect(config.root).toBe('/env/root');
    expect(config.imds.endpoint).toBe('http://127.0.0.1:1338');
    expect(config.imds.token_ttl).toBe(3_600_000); // from the file
    expect(config.collector).toEqual({
      url: 'http://collector:4318',
      token: 'from-env',
      timeout: 15_000,
      send_identity: false,
    });
    expect(config.spool_dir).toBe('/env/spool');
    expect(config.manifest).toBe('/env/image.json');
    expect(config.deadline).toBe(1_200_000);
    // Setting the interval turns heartbeats on although the file turned them off.
    expect(config.heartbeat).toEqual({ enabled: true, interval: 30_000 });
  });

  it('treats an empty variable as unset', () => {
    const config = loadAgentConfig({
      file: write(Good),
      env: { BOOTWATCH_TOKEN: '', BOOTWATCH_DEADLINE: '' },
    });
    expect(config.collector.token).toBe('s3cr3t-token');
    expect(config.deadline).toBe(900_000);
  });

  it('reads BOOTWATCH_CONFIG, and an explicit file wins over it', () => {
    const fromVariable = write('deadline: 5m\n');
    const explicit = write('deadline: 7m\n');
    expect(loadAgentConfig({ env: { BOOTWATCH_CONFIG: fromVariable } }).deadline).toBe(300_000);
    expect(
      loadAgentConfig({ file: explicit, env: { BOOTWATCH_CONFIG: fromVariable } }).deadline,
    ).toBe(420_000);
  });

  it('returns a deep-frozen config', () => {
    const config = loadAgentConfig({ file: write(Good), env: {} });
    expect(Object.isFrozen(config.imds)).toBe(true);
    expect(Object.isFrozen(config.probes[2])).toBe(true);
    expect(() => {
      (config.probes as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });
});

describe('loadAgentConfig rejects, naming the file, the field, the value and the reason', () => {
  it.each([
    [
      'a bad duration',
      ['    port: 5432\n    timeout: 10s', '    port: 5432\n    timeout: fast'],
      "probes[1].timeout: expected a duration such as 90s, got 'fast'",
    ],
    [
      'a zero duration',
      ['deadline: 15m', 'deadline: 0s'],
      "deadline: expected a duration above zero, got '0s'",
    ],
    [
      'a number for a duration',
      ['  budget: 45s', '  budget: 45'],
      'imds.budget: expected a duration such as 90s, got 45',
    ],
    [
      'an unknown field (a typo)',
      ['  tags: false', '  tag: false'],
      'imds.tag: unknown field; expected one of endpoint, token_ttl, allow_v1, timeout, budget, tags, version_tag',
    ],
    [
      'an unknown top-level field',
      ['deadline: 15m', 'dealine: 15m'],
      'dealine: unknown field; expected one of root, imds, collector, spool_dir, manifest, deadline, retry, heartbeat, probes',
    ],
    [
      'a field another probe type has',
      ['    path: /var/run/app/ready', '    path: /var/run/app/ready\n    unit: app.service'],
      'probes[4].unit: unknown field; expected one of name, type, timeout, interval, path',
    ],
    [
      'a string for a boolean',
      ['  allow_v1: false', '  allow_v1: "no"'],
      "imds.allow_v1: expected true or false, got 'no'",
    ],
    [
      'a port out of range',
      ['port: 5432', 'port: 70000'],
      'probes[1].port: expected a port from 1 to 65535, got 70000',
    ],
    [
      'a missing required field',
      ['    url: http://127.0.0.1:8080/healthz\n', ''],
      'probes[0].url: expected an http:// or https:// URL, got nothing',
    ],
    [
      'an unknown probe type',
      ['    type: systemd', '    type: service'],
      "probes[3].type: expected one of http, tcp, command, systemd, file, got 'service'",
    ],
    [
      'an empty command',
      ['    command: [/usr/local/bin/app, check, --quiet]', '    command: []'],
      'probes[2].command: expected a non-empty list of strings (the program and its arguments), got an empty list',
    ],
    [
      'a URL that is not http',
      ['  endpoint: http://[fd00:ec2::254]/', '  endpoint: ftp://169.254.169.254'],
      "imds.endpoint: expected an http:// or https:// URL, got 'ftp://169.254.169.254'",
    ],
    [
      'a relative path',
      ['spool_dir: /srv/bootwatch/spool', 'spool_dir: spool'],
      "spool_dir: expected an absolute path such as /var/lib/bootwatch, got 'spool'",
    ],
    [
      'a token TTL over the IMDS limit',
      ['  token_ttl: 1h', '  token_ttl: 7h'],
      "imds.token_ttl: expected a duration from 1s to 6h, got '7h'",
    ],
    [
      'a backoff that starts above its maximum',
      ['  initial_backoff: 500ms', '  initial_backoff: 5m'],
      "retry.initial_backoff: expected at most retry.max_backoff ('2m'), got '5m'",
    ],
    [
      'two probes with one name',
      ['  - name: nginx', '  - name: web'],
      "probes[3].name: expected a name no other probe has, got 'web' (also probes[0].name)",
    ],
    [
      'a secret, without showing it',
      ['  token: s3cr3t-token', '  token: "s3cr3t token"'],
      'collector.token: expected a token of printable ASCII without spaces, got a value (not shown: the field is secret)',
    ],
    [
      'a list at the top level',
      [Good, '- root: /\n'],
      'expected a mapping of fields at the top level, got a list of 1 item',
    ],
  ])('%s', (_name, [from, to], message) => {
    const file = write(goodWith(from!, to!));
    const error = errorOf(() => loadAgentConfig({ file, env: {} }));
    expect(error.code).toBe('BW_CONFIG_INVALID');
    expect(error.message).toBe(`${file}: ${message}`);
  });

  it('reports every problem, one a line', () => {
    const file = write(
      goodWith('deadline: 15m', 'deadline: soon').replace('port: 5432', 'port: 0'),
    );
    expect(errorOf(() => loadAgentConfig({ file, env: {} })).message).toBe(
      `${file}: deadline: expected a duration such as 90s, got 'soon'\n` +
        `${file}: probes[1].port: expected a port from 1 to 65535, got 0`,
    );
  });

  it('names the environment variable when the bad value came from it', () => {
    const error = errorOf(() =>
      loadAgentConfig({ file: write(Good), env: { BOOTWATCH_DEADLINE: 'soon' } }),
    );
    expect(isBootwatchError(error, 'BW_CONFIG_INVALID')).toBe(true);
    expect(error.message).toBe(
      "environment variable BOOTWATCH_DEADLINE: deadline: expected a duration such as 90s, got 'soon'",
    );
  });

  it('says which line of the file is not YAML', () => {
    const file = write(goodWith('  budget: 45s\n', ' budget: 45s\n'));
    const line = Good.split('\n').indexOf('  budget: 45s') + 1;
    const error = errorOf(() => loadAgentConfig({ file, env: {} }));
    expect(error.code).toBe('BW_CONFIG_FILE');
    expect(error.message).toBe(
      `${file}: not valid YAML at line ${line}, column 1: All mapping items must start at the same column`,
    );
  });

  it('rejects a duplicated key as YAML', () => {
    const file = write(goodWith('deadline: 15m\n', 'deadline: 15m\ndeadline: 20m\n'));
    const line = Good.split('\n').indexOf('deadline: 15m') + 2;
    expect(errorOf(() => loadAgentConfig({ file, env: {} })).message).toBe(
      `${file}: not valid YAML at line ${line}, column 1: Map keys must be unique`,
    );
  });

  it('names a file it cannot read', () => {
    const file = join(dir, 'missing.yaml');
    const error = errorOf(() => loadAgentConfig({ file, env: {} }));
    expect(error.code).toBe('BW_CONFIG_FILE');
    expect(error.message).toBe(
      `${file}: cannot read the configuration file: ENOENT: no such file or directory, open '${file}'`,
    );
  });
});

describe('requireCollectorUrl', () => {
  it('returns the URL, or says how to set it', () => {
    expect(requireCollectorUrl(loadAgentConfig({ file: write(Good), env: {} }))).toBe(
      'https://collector.example.com:4318',
    );
    const file = write('deadline: 5m\n');
    const error = errorOf(() => requireCollectorUrl(loadAgentConfig({ file, env: {} }), file));
    expect(error.code).toBe('BW_CONFIG_INVALID');
    expect(error.message).toBe(
      `${file}: collector.url: expected an http:// or https:// URL ` +
        '(set collector.url or BOOTWATCH_COLLECTOR_URL; only --dry-run works without it), got nothing',
    );
  });
});
