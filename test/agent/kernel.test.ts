import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseBootId,
  parseBtime,
  parseStartTimeTicks,
  parseUptime,
  pid1StartedMs,
  readKernel,
} from '../../agent/kernel.js';
import { rootPath } from '../../agent/root-path.js';
import { isBootwatchError } from '../../shared/errors.js';
import { makeBootRoot, type BootRoot } from '../support/boot-root.js';

function procError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isBootwatchError(e, 'BW_PROC_PARSE')).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected BW_PROC_PARSE');
}

// Captured from a Linux 6.x machine whose PID 1 is not systemd.
const realPid1 =
  '1 (process_api) S 0 0 0 0 -1 4194560 50151 1705645 0 643 69 374 2864 1198 10 -10 14 0 25 ' +
  '51884032 4319 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

describe('pure /proc parsers', () => {
  it('uptime: the first number', () => {
    expect(parseUptime('1126.74 2056.61\n')).toBe(1126.74);
    expect(parseUptime('35 60')).toBe(35);
    expect(procError(() => parseUptime('up 3 days'))).toBe(
      '/proc/uptime: expected "<seconds> <idle seconds>", got "up 3 days"',
    );
    procError(() => parseUptime(''));
  });

  it('btime: the line of /proc/stat', () => {
    const stat = 'cpu  1 2 3\nintr 5 6\nctxt 99\nbtime 1795614189\nprocesses 77\n';
    expect(parseBtime(stat)).toBe(1795614189);
    expect(procError(() => parseBtime('cpu 1 2 3\nbtime soon\n'))).toMatch(
      /^\/proc\/stat: expected a line "btime <epoch seconds>", got "cpu 1 2 3\\nbtime soon\\n"$/,
    );
  });

  it('boot_id: a UUID, lower-cased', () => {
    expect(parseBootId('3F2B9C1E-0D4A-4B7E-9F11-2A6C8D0E5B47\n')).toBe(
      '3f2b9c1e-0d4a-4b7e-9f11-2a6c8d0e5b47',
    );
    procError(() => parseBootId('not-a-uuid'));
    procError(() => parseBootId(''));
  });

  it('/proc/1/stat: field 22, counted after the last ")"', () => {
    expect(parseStartTimeTicks(realPid1)).toBe(25);
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3));
    const odd = `1 (my (odd) init) ) ${rest.join(' ')}`;
    expect(parseStartTimeTicks(odd)).toBe(22);
    const withSpaces = `1 (a b c) ${rest.join(' ')}`;
    expect(parseStartTimeTicks(withSpaces)).toBe(22);
    expect(procError(() => parseStartTimeTicks('1 (systemd) S 0 1'))).toMatch(
      /^\/proc\/1\/stat: expected "pid \(comm\) state \.\.\." with at least 22 fields/,
    );
    procError(() =>
      parseStartTimeTicks(
        'no parenthesis at all 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20',
      ),
    );
  });

  it('PID 1 start: btime plus ticks over CLK_TCK', () => {
    expect(pid1StartedMs(1_700_000_000_000, 150)).toBe(1_700_000_001_500);
    expect(pid1StartedMs(1_700_000_000_000, 375, 250)).toBe(1_700_000_001_500);
  });
});

describe('rootPath', () => {
  it('puts absolute paths under the root and never above it', () => {
    expect(rootPath('/', '/proc/uptime')).toBe('/proc/uptime');
    expect(rootPath('/tmp/r', '/proc/uptime')).toBe('/tmp/r/proc/uptime');
    expect(rootPath('/tmp/r/', 'proc/stat')).toBe('/tmp/r/proc/stat');
    expect(rootPath('/tmp/r', '/../../etc/passwd')).toBe('/tmp/r/etc/passwd');
    expect(rootPath('', '/proc/uptime')).toBe('/proc/uptime');
  });
});

describe('readKernel under a BOOTWATCH_ROOT', () => {
  let root: BootRoot | undefined;
  afterEach(async () => {
    await root?.cleanup();
    root = undefined;
  });

  it('reads what the fake machine holds', async () => {
    root = await makeBootRoot({ nowMs: 1_800_000_000_000, pid1Comm: 'systemd (init) x' });
    const k = await readKernel(root.root);
    expect(k).toEqual({
      bootId: root.bootId,
      kernelBootMs: root.kernelBootMs,
      uptimeSeconds: root.uptimeSeconds,
      pid1StartedMs: root.pid1StartedMs,
      notes: [],
    });
    // launched 60 s before now, kernel 20 s after launch, PID 1 1.5 s after the kernel.
    expect(k.kernelBootMs).toBe(1_799_999_960_000);
    expect(k.uptimeSeconds).toBe(40);
    expect(k.pid1StartedMs).toBe(1_799_999_961_500);
  });

  it('uses the given CLK_TCK', async () => {
    root = await makeBootRoot({ clkTck: 250, pid1AfterKernelSeconds: 2 });
    const k = await readKernel(root.root, { clkTck: 250 });
    expect(k.pid1StartedMs).toBe(root.kernelBootMs + 2000);
  });

  it('without /proc/1/stat, PID 1 start is null with a note', async () => {
    root = await makeBootRoot();
    await rm(rootPath(root.root, '/proc/1/stat'));
    const k = await readKernel(root.root);
    expect(k.pid1StartedMs).toBeNull();
    expect(k.notes).toHaveLength(1);
    expect(k.notes[0]).toMatch(/^PID 1 start time unknown: \/proc\/1\/stat: cannot be read/);
  });

  it('a missing or garbled boot_id, btime or uptime is BW_PROC_PARSE', async () => {
    root = await makeBootRoot();
    await writeFile(rootPath(root.root, '/proc/uptime'), 'garbage');
    await expect(readKernel(root.root)).rejects.toMatchObject({ code: 'BW_PROC_PARSE' });
    await rm(rootPath(root.root, '/proc/sys/kernel/random/boot_id'));
    await expect(readKernel(root.root)).rejects.toMatchObject({
      code: 'BW_PROC_PARSE',
      message: expect.stringMatching(/^\/proc\/sys\/kernel\/random\/boot_id: cannot be read/),
    });
    await expect(readKernel(path.join(root.root, 'nowhere'))).rejects.toMatchObject({
      code: 'BW_PROC_PARSE',
    });
  });
});
