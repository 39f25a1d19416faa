import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  buildCollectorConfig,
  CollectorDefaults,
  CollectorDurationRanges,
  loadCollectorConfig,
  parseListen,
  parseSize,
} from '../../collector/config.js';
import { formatDuration, MaxTimerMs } from '../../shared/duration.js';
import { BootwatchError } from '../../shared/errors.js';

function thrown(f: () => unknown): BootwatchError {
  try {
    f();
  } catch (e) {
    if (e instanceof BootwatchError) return e;
    throw e;
  }
  throw new Error('expected a BootwatchError');
}

describe('collector configuration', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const file = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
    dirs.push(dir);
    const path = join(dir, 'collector.yaml');
    writeFileSync(path, text);
    return path;
  };

  it('has the documented defaults, in code units', () => {
    const c = buildCollectorConfig({ hostname: 'host-a' });
    expect(c).toEqual({
      listen: { host: '127.0.0.1', port: 4318 },
      store: './data/bootwatch.db',
      replicaId: 'host-a',
      reportDeadlineMs: 15 * 60_000,
      sweepIntervalMs: 30_000,
      retentionMs: 30 * 86_400_000,
      token: null,
      adminToken: null,
      readToken: null,
      openReads: false,
      identityCertDir: null,
      allowAnonymous: false,
      bodyLimitBytes: 4 * 1024 * 1024,
      bodyTimeoutMs: 30_000,
      scanBodyLimitBytes: 64 * 1024 * 1024,
      maxInFlight: 256,
      labelCap: 50,
      groupLabelCap: 200,
      heartbeatWindowMs: 5 * 60_000,
      sloFile: null,
      sloIntervalMs: 30_000,
      rolloutSwitchBackWindowMs: 86_400_000,
      logLevel: 'info',
    });
  });

  it("reads scan_body_limit, the scan route's own limit, as a size like body_limit", () => {
    const env = (value: string) =>
      buildCollectorConfig({ env: { BOOTWATCH_SCAN_BODY_LIMIT: value }, hostname: 'h' });
    expect(env('128MiB').scanBodyLimitBytes).toBe(128 * 1024 * 1024);
    expect(env('1048576').scanBodyLimitBytes).toBe(1_048_576);
    expect(() => env('lots')).toThrow(/scan_body_limit: expected a size of at least 1KiB/);
  });

  it('reads the file and lets the environment win field by field', () => {
    const path = file(
      [
        'listen: 0.0.0.0:9000',
        'report_deadline: 10m',
        'label_cap: 7',
        'body_limit: 1MiB',
        'token: from-file',
      ].join('\n'),
    );
    const c = loadCollectorConfig(
      {
        BOOTWATCH_CONFIG: path,
        BOOTWATCH_REPORT_DEADLINE: '20m',
        BOOTWATCH_ALLOW_ANONYMOUS: 'true',
        BOOTWATCH_MAX_IN_FLIGHT: '8',
        BOOTWATCH_REPLICA_ID: 'r1',
        BOOTWATCH_GROUP_LABEL_CAP: '3',
      },
      undefined,
    );
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(c.reportDeadlineMs).toBe(20 * 60_000);
    expect(c.labelCap).toBe(7);
    expect(c.bodyLimitBytes).toBe(1024 * 1024);
    expect(c.token).toBe('from-file');
    expect(c.allowAnonymous).toBe(true);
    expect(c.maxInFlight).toBe(8);
    expect(c.replicaId).toBe('r1');
    expect(c.groupLabelCap).toBe(3);
  });

  it('is deep-frozen', () => {
    const c = buildCollectorConfig({ hostname: 'h' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.listen)).toBe(true);
  });

  it('names the file, the field and the value of an invalid field', () => {
    const path = file('max_in_flight: lots\n');
    const e = thrown(() => loadCollectorConfig({ BOOTWATCH_CONFIG: path }));
    expect(e.code).toBe('BW_CONFIG_INVALID');
    expect(e.message).toContain(path);
    expect(e.message).toContain('max_in_flight');
    expect(e.message).toContain('"lots"');
  });

  it('names the environment variable when the value came from there', () => {
    const e = thrown(() => buildCollectorConfig({ env: { BOOTWATCH_LABEL_CAP: '0' } }));
    expect(e.code).toBe('BW_CONFIG_INVALID');
    expect(e.message).toContain('BOOTWATCH_LABEL_CAP');
    expect(e.message).toContain('label_cap');
    expect(e.message).toContain('0');
  });

  it('rejects unknown fields (additionalProperties false)', () => {
    const path = file('listen: 127.0.0.1:1\nreport_dealine: 5m\n');
    const e = thrown(() => loadCollectorConfig({ BOOTWATCH_CONFIG: path }));
    expect(e.code).toBe('BW_CONFIG_INVALID');
    expect(e.message).toContain('report_dealine');
    expect(e.message).toContain(path);
  });

  it('rejects a bad duration, naming its source', () => {
    const e = thrown(() => buildCollectorConfig({ env: { BOOTWATCH_SWEEP_INTERVAL: '30 secs' } }));
    expect(e.code).toBe('BW_CONFIG_DURATION');
    expect(e.message).toContain('BOOTWATCH_SWEEP_INTERVAL');
    expect(e.message).toContain("'30 secs'");
  });

  it('rejects a zero duration, a bad listen address, a bad boolean and a bad level', () => {
    expect(thrown(() => buildCollectorConfig({ env: { BOOTWATCH_RETENTION: '0s' } })).code).toBe(
      'BW_CONFIG_INVALID',
    );
    expect(
      thrown(() => buildCollectorConfig({ env: { BOOTWATCH_LISTEN: 'localhost' } })).message,
    ).toContain("'localhost'");
    expect(
      thrown(() => buildCollectorConfig({ env: { BOOTWATCH_ALLOW_ANONYMOUS: 'maybe' } })).message,
    ).toContain('allow_anonymous');
    expect(thrown(() => buildCollectorConfig({ file: { log_level: 'loud' } })).code).toBe(
      'BW_CONFIG_INVALID',
    );
  });

  it('reports an unreadable file and a file that is not a mapping as BW_CONFIG_FILE', () => {
    expect(
      thrown(() => loadCollectorConfig({ BOOTWATCH_CONFIG: '/nonexistent/c.yaml' })).code,
    ).toBe('BW_CONFIG_FILE');
    expect(thrown(() => loadCollectorConfig({ BOOTWATCH_CONFIG: file('- a\n- b\n') })).code).toBe(
      'BW_CONFIG_FILE',
    );
    expect(thrown(() => loadCollectorConfig({ BOOTWATCH_CONFIG: file('a: [\n') })).code).toBe(
      'BW_CONFIG_FILE',
    );
  });

  it('treats an empty file as all defaults', () => {
    const c = loadCollectorConfig({ BOOTWATCH_CONFIG: file(''), BOOTWATCH_REPLICA_ID: 'x' });
    expect(c.listen.port).toBe(4318);
  });

  it('parses listen addresses and sizes', () => {
    expect(parseListen('[::1]:4318', 'f')).toEqual({ host: '::1', port: 4318 });
    expect(parseListen('collector.internal:80', 'f')).toEqual({
      host: 'collector.internal',
      port: 80,
    });
    expect(() => parseListen('127.0.0.1:70000', 'f')).toThrow(BootwatchError);
    expect(parseSize('512KiB', 'f')).toBe(512 * 1024);
    expect(parseSize('4 MiB', 'f')).toBe(4 * 1024 * 1024);
    expect(() => parseSize('4MB', 'f')).toThrow(BootwatchError);
    expect(() => parseSize('10b', 'f')).toThrow(BootwatchError);
  });

  it('keeps every default a valid value of its own schema', () => {
    expect(() => buildCollectorConfig({ file: { ...CollectorDefaults } })).not.toThrow();
  });
});

describe('collector duration ranges', () => {
  it.each([
    [
      'BOOTWATCH_SWEEP_INTERVAL',
      '30d',
      "sweep_interval: expected a duration from 1s to 1h, got '30d'",
    ],
    [
      'BOOTWATCH_SWEEP_INTERVAL',
      '1ms',
      "sweep_interval: expected a duration from 1s to 1h, got '1ms'",
    ],
    [
      'BOOTWATCH_RETENTION',
      '99999999999999999999d',
      "retention: expected a duration from 1h to 3650d, got '99999999999999999999d'",
    ],
    ['BOOTWATCH_RETENTION', '0s', "retention: expected a duration from 1h to 3650d, got '0s'"],
    [
      'BOOTWATCH_REPORT_DEADLINE',
      '30s',
      "report_deadline: expected a duration from 1m to 7d, got '30s'",
    ],
    [
      'BOOTWATCH_HEARTBEAT_WINDOW',
      '2d',
      "heartbeat_window: expected a duration from 10s to 1d, got '2d'",
    ],
  ])('refuses %s=%s, naming the variable, the range and the value', (variable, value, message) => {
    const e = thrown(() => buildCollectorConfig({ env: { [variable]: value } }));
    expect({ code: e.code, message: e.message }).toEqual({
      code: 'BW_CONFIG_INVALID',
      message: `environment ${variable}: ${message}`,
    });
  });

  it('accepts both ends of every range', () => {
    for (const [field, range] of Object.entries(CollectorDurationRanges)) {
      for (const ms of [range.minMs, range.maxMs]) {
        expect(() => buildCollectorConfig({ file: { [field]: formatDuration(ms) } })).not.toThrow();
      }
    }
  });

  it('keeps the sweep interval, a timer, under Node timer limit', () => {
    expect(CollectorDurationRanges.sweep_interval.maxMs).toBeLessThanOrEqual(MaxTimerMs);
  });

  it("documents every range in the README's collector table", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [field, range] of Object.entries(CollectorDurationRanges)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${field}\``));
      expect(row, field).toContain(
        `(${formatDuration(range.minMs)} to ${formatDuration(range.maxMs)})`,
      );
    }
  });
});

describe('collector configuration secrets', () => {
  it('does not print a token in an error message', () => {
    const e = thrown(() =>
      buildCollectorConfig({ file: { token: 918273645 }, filePath: 'c.yaml' }),
    );
    expect(e.code).toBe('BW_CONFIG_INVALID');
    expect(e.message).toContain('token');
    expect(e.message).not.toContain('918273645');
  });
});
