// Every way the collector can fail to start that loopback can show: a code from shared/errors.ts,
// a message that names what to change, nothing left running. In process through runCollector (as
// the CLI calls it), and the built command for the exit code and the one line it prints.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollectorConfig, loadCollectorConfig } from '../../../collector/config.js';
import { runCollector } from '../../../collector/run-collector.js';
import { BootwatchError, type ErrorCode } from '../../../shared/errors.js';
import { killIfRunning, startBuiltCollector, type CollectorProcess } from './built-collector.js';
import { AdminToken, AgentToken } from './harness.js';

let dir = '';
let taken: Server;
let takenPort = 0;
/** A port nothing listens on: connections to it are refused. */
let closedPort = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-startup-'));
  writeFileSync(join(dir, 'file'), 'not a folder');
  writeFileSync(
    join(dir, 'not-a-db.db'),
    'this is not an SQLite database, it is text. '.repeat(50),
  );
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** What runCollector rejects with, for a configuration built from `file`. */
async function startupFailure(file: Record<string, unknown>): Promise<BootwatchError> {
  const config = buildCollectorConfig({
    file: {
      listen: '127.0.0.1:0',
      store: join(dir, 'ok', 'bootwatch.db'),
      token: AgentToken,
      admin_token: AdminToken,
      log_level: 'silent',
      ...file,
    },
    filePath: 'test.yaml',
    hostname: 'startup-test',
  });
  try {
    const running = await runCollector(config, { handleSignals: false });
    await running.close();
  } catch (e) {
    if (e instanceof BootwatchError) return e;
    throw new Error(`expected a BootwatchError, got ${String(e)}`);
  }
  throw new Error('the collector started');
}

describe('collector startup failures, each with a code', () => {
  const cases: [string, () => Record<string, unknown>, ErrorCode, RegExp][] = [
    [
      'a store folder under /proc',
      () => ({ store: '/proc/bootwatch/store.db' }),
      'BW_STORE_OPEN',
      /\/proc\/bootwatch/,
    ],
    [
      'a store folder whose parent is a file',
      () => ({ store: join(dir, 'file', 'sub', 'bootwatch.db') }),
      'BW_STORE_OPEN',
      /ENOTDIR/,
    ],
    ['a store path that is a folder', () => ({ store: dir }), 'BW_STORE_OPEN', /bw-startup-/],
    [
      'a store file that is not SQLite',
      () => ({ store: join(dir, 'not-a-db.db') }),
      'BW_STORE_OPEN',
      /not-a-db/,
    ],
    [
      'a PostgreSQL that refuses connections',
      () => ({ store: `postgres://bootwatch@127.0.0.1:${closedPort}/test` }),
      'BW_STORE_OPEN',
      /postgres:\/\/bootwatch@127\.0\.0\.1/,
    ],
    [
      'a listen address in use',
      () => ({ listen: `127.0.0.1:${takenPort}` }),
      'BW_LISTEN',
      /is in use/,
    ],
    [
      'a listen address of another machine (EADDRNOTAVAIL)',
      () => ({ listen: '192.0.2.1:4318' }),
      'BW_LISTEN',
      /192\.0\.2\.1 is not an address of this machine/,
    ],
    [
      'a listen host that does not resolve (ENOTFOUND)',
      () => ({ listen: 'no-such-host.invalid:4318' }),
      'BW_LISTEN',
      /no-such-host\.invalid (does not resolve|could not be resolved)/,
    ],
    [
      'an identity certificate folder that cannot be read',
      () => ({ identity_cert_dir: join(dir, 'no-certs') }),
      'BW_CONFIG_INVALID',
      /no-certs/,
    ],
    [
      'an SLO file that cannot be read',
      () => ({ slo_file: join(dir, 'no-slos.yaml') }),
      'BW_SLO_INVALID',
      /no-slos\.yaml/,
    ],
  ];
  it.each(cases)('%s', async (_name, file, code, message) => {
    const e = await startupFailure(file());
    expect({ code: e.code, message: e.message }).toEqual({
      code,
      message: expect.stringMatching(message),
    });
  });

  it('an unreadable configuration file is BW_CONFIG_FILE', () => {
    // A folder: readFileSync answers EISDIR, as it would EACCES for a file it may not read.
    expect(() => loadCollectorConfig({ BOOTWATCH_CONFIG: dir })).toThrow(
      expect.objectContaining({ code: 'BW_CONFIG_FILE' }),
    );
  });
});

describe('the built collector that cannot start', () => {
  const started: CollectorProcess[] = [];
  afterAll(() => Promise.all(started.map(killIfRunning)));

  // Before the fix, Node's recursive mkdir spun on procfs forever at full CPU, printing nothing.
  it.each([
    ['BOOTWATCH_STORE', '/proc/bootwatch/store.db', 'BW_STORE_OPEN'],
    ['BOOTWATCH_LISTEN', 'no-such-host.invalid:4318', 'BW_LISTEN'],
  ])('%s=%s exits 1 with %s', async (variable, value, code) => {
    const p = startBuiltCollector({
      BOOTWATCH_LISTEN: '127.0.0.1:0',
      BOOTWATCH_STORE: join(dir, 'built', 'bootwatch.db'),
      BOOTWATCH_TOKEN: AgentToken,
      [variable]: value,
    });
    started.push(p);
    const timeout = new Promise<string>((resolve) =>
      setTimeout(() => resolve('still running after 20 s'), 20_000).unref(),
    );
    expect(await Promise.race([p.exited, timeout])).toBe(1);
    expect(p.output()).toContain(`bootwatch collector: ${code}: `);
  });
});
