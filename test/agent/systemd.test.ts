import { describe, expect, it } from 'vitest';
import {
  execFileExec,
  failedUnits,
  parseListUnits,
  unitActive,
  type Exec,
  type ExecOutcome,
} from '../../agent/systemd.js';

const listOutput = [
  'cloud-final.service      loaded failed failed Execute cloud user/final scripts',
  'nginx.service            loaded failed failed A high performance web server and a reverse proxy server',
  '● systemd-networkd-wait-online.service loaded failed failed Wait for Network to be Configured',
  'ghost.service            not-found failed failed ghost.service',
  '',
].join('\n');

/** A fake exec that answers once, recording what it was asked. */
function fakeExec(outcome: Partial<ExecOutcome>) {
  const calls: { file: string; args: readonly string[]; timeoutMs: number }[] = [];
  const exec: Exec = async (file, args, timeoutMs) => {
    calls.push({ file, args, timeoutMs });
    return { exitCode: 0, stdout: '', stderr: '', ...outcome };
  };
  return { exec, calls };
}

describe('parseListUnits', () => {
  it('reads unit, load, active, sub and the description with its spaces', () => {
    expect(parseListUnits(listOutput)).toEqual([
      {
        unit: 'cloud-final.service',
        load: 'loaded',
        active: 'failed',
        sub: 'failed',
        description: 'Execute cloud user/final scripts',
      },
      {
        unit: 'nginx.service',
        load: 'loaded',
        active: 'failed',
        sub: 'failed',
        description: 'A high performance web server and a reverse proxy server',
      },
      {
        unit: 'systemd-networkd-wait-online.service',
        load: 'loaded',
        active: 'failed',
        sub: 'failed',
        description: 'Wait for Network to be Configured',
      },
      {
        unit: 'ghost.service',
        load: 'not-found',
        active: 'failed',
        sub: 'failed',
        description: 'ghost.service',
      },
    ]);
  });

  it('no failed units: empty output, empty list', () => {
    expect(parseListUnits('')).toEqual([]);
    expect(parseListUnits('\n\n')).toEqual([]);
  });
});

describe('failedUnits', () => {
  it('runs systemctl list-units for failed units, plain, with the timeout', async () => {
    const { exec, calls } = fakeExec({ stdout: listOutput });
    const r = await failedUnits({ exec, timeoutMs: 1234 });
    expect(calls).toEqual([
      {
        file: 'systemctl',
        args: ['list-units', '--state=failed', '--plain', '--no-legend', '--no-pager'],
        timeoutMs: 1234,
      },
    ]);
    expect(r.available && r.units.map((u) => u.unit)).toEqual([
      'cloud-final.service',
      'nginx.service',
      'systemd-networkd-wait-online.service',
      'ghost.service',
    ]);
  });

  it('systemctl absent: not available, not an error', async () => {
    const { exec } = fakeExec({ exitCode: null, failure: 'not_found', detail: 'spawn ENOENT' });
    expect(await failedUnits({ exec })).toEqual({
      available: false,
      reason: 'not_installed',
      detail: 'systemctl is not installed',
    });
  });

  it('systemd not PID 1 (a container): not available', async () => {
    const { exec } = fakeExec({
      exitCode: 1,
      stderr:
        "System has not been booted with systemd as init system (PID 1). Can't operate.\n" +
        'Failed to connect to bus: Host is down\n',
    });
    expect(await failedUnits({ exec })).toEqual({
      available: false,
      reason: 'not_systemd',
      detail: "System has not been booted with systemd as init system (PID 1). Can't operate.",
    });
  });

  it('a timeout or another failure is reported as such', async () => {
    const timeout = fakeExec({ exitCode: null, failure: 'timeout', detail: 'too slow' });
    expect(await failedUnits({ exec: timeout.exec })).toMatchObject({
      available: false,
      reason: 'timeout',
    });
    const other = fakeExec({ exitCode: 4, stderr: 'Access denied\n' });
    expect(await failedUnits({ exec: other.exec })).toEqual({
      available: false,
      reason: 'error',
      detail: 'systemctl list-units: Access denied',
    });
  });
});

describe('unitActive', () => {
  it('active: exit 0 and "active"', async () => {
    const { exec, calls } = fakeExec({ stdout: 'active\n' });
    expect(await unitActive('nginx.service', { exec })).toEqual({
      available: true,
      active: true,
      state: 'active',
    });
    expect(calls[0]!.args).toEqual(['is-active', 'nginx.service']);
  });

  it('inactive, failed or activating: exit 3, not active, the state kept', async () => {
    for (const state of ['inactive', 'failed', 'activating']) {
      const { exec } = fakeExec({ exitCode: 3, stdout: `${state}\n` });
      expect(await unitActive('app@1.service', { exec })).toEqual({
        available: true,
        active: false,
        state,
      });
    }
  });

  it('refuses a name that is not a unit name without running anything', async () => {
    const { exec, calls } = fakeExec({ stdout: 'active\n' });
    for (const bad of ['--all', '', 'a b.service', 'x;reboot']) {
      const r = await unitActive(bad, { exec });
      expect(r).toMatchObject({ available: false, reason: 'error' });
    }
    expect(calls).toEqual([]);
  });

  it('no systemd: not available', async () => {
    const { exec } = fakeExec({
      exitCode: 1,
      stderr: 'Failed to connect to bus: No such file or directory\n',
    });
    expect(await unitActive('sshd.service', { exec })).toMatchObject({
      available: false,
      reason: 'not_systemd',
    });
  });
});

describe('execFileExec (the real child_process shell)', () => {
  const node = process.execPath;

  it('returns stdout and the exit code, without rejecting on a non-zero exit', async () => {
    const ok = await execFileExec(node, ['-e', 'process.stdout.write("active\\n")'], 10_000);
    expect(ok).toEqual({ exitCode: 0, stdout: 'active\n', stderr: '' });
    const three = await execFileExec(
      node,
      ['-e', 'process.stdout.write("inactive\\n"); process.stderr.write("x"); process.exit(3)'],
      10_000,
    );
    expect(three).toEqual({ exitCode: 3, stdout: 'inactive\n', stderr: 'x' });
  });

  it('a missing program is not_found', async () => {
    const r = await execFileExec('/nonexistent/bootwatch-no-such-systemctl', [], 10_000);
    expect(r).toMatchObject({ exitCode: null, failure: 'not_found' });
  });

  it('a program that does not finish in time is killed and reported as timeout', async () => {
    const r = await execFileExec(node, ['-e', 'setTimeout(() => {}, 60_000)'], 300);
    expect(r).toMatchObject({ exitCode: null, failure: 'timeout' });
  });
});
