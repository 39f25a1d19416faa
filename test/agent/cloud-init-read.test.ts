import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readCloudInit, waitForCloudInit } from '../../agent/cloud-init.js';
import { ManualClock } from '../../shared/clock.js';
import { makeBootRoot, type BootRoot, type BootRootOptions } from '../support/boot-root.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/real/cloud-init/${name}`, import.meta.url), 'utf8');

let roots: BootRoot[] = [];
afterEach(async () => {
  await Promise.all(roots.map((r) => r.cleanup()));
  roots = [];
});
async function machine(options: BootRootOptions = {}): Promise<BootRoot> {
  const r = await makeBootRoot(options);
  roots.push(r);
  return r;
}

describe('readCloudInit', () => {
  it('done (defaults): the stage times the machine holds, from /run/cloud-init', async () => {
    const m = await machine();
    const s = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(s.state).toBe('done');
    expect(s.stages).toEqual(m.stages);
    expect(s.finishedAtMs).toBe(m.cloudInitFinishedAtMs);
    expect(s.finishedAtMs).toBe(m.kernelBootMs + 20_000);
    expect(s.datasource).toBe('DataSourceEc2');
    expect(s.source).toEqual({
      status: '/run/cloud-init/status.json',
      result: '/run/cloud-init/result.json',
      log: null,
      timeBase: 'epoch',
    });
  });

  it('24.2+ seconds since boot read back to the same times', async () => {
    const m = await machine({ cloudInit: { timeStyle: 'since_boot', shape: 'legacy' } });
    const s = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(s.source.timeBase).toBe('since_boot');
    expect(s.stages).toEqual(m.stages);
  });

  it('running, degraded and error states come through', async () => {
    const m = await machine({ cloudInit: { state: 'running', runningStage: 'init' } });
    const running = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(running).toMatchObject({ state: 'running', currentStage: 'init', complete: false });
    expect(running.stages).toEqual(m.stages);
    expect(running.stages['modules-config']).toEqual({ startMs: null, finishMs: null });

    await m.setCloudInit({
      recoverableErrors: [
        { stage: 'modules-final', level: 'WARNING', message: 'Used fallback datasource' },
      ],
    });
    const degraded = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(degraded).toMatchObject({ state: 'done', degraded: true });

    await m.setCloudInit({ errors: [{ stage: 'modules-config', message: 'cc_ntp failed' }] });
    const error = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(error.state).toBe('error');
    expect(error.errors).toEqual([{ stage: 'modules-config', message: 'cc_ntp failed' }]);
  });

  it('the real 19.4 status.json and result.json under /run/cloud-init', async () => {
    // A machine that booted when that file was written: kernel at 02:46:40Z, init-local at 02:46:45Z.
    const m = await machine({
      nowMs: Date.parse('2020-07-29T02:47:30Z'),
      kernelAfterLaunchSeconds: 10,
      cloudInit: { state: 'not_started' },
    });
    await m.writeFile('/run/cloud-init/status.json', fixture('status-19.4-ec2local-done.json'));
    await m.writeFile('/run/cloud-init/result.json', fixture('result-19.4-ec2local-done.json'));
    const s = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(s).toMatchObject({
      state: 'done',
      datasource: 'DataSourceEc2Local',
      finishedAtMs: 1595990813311,
      notes: [],
    });
    expect(s.stages['init-local'].startMs).toBe(1595990805566);
  });

  it('not installed, installed but not started, and disabled', async () => {
    const absent = await machine({ cloudInit: { state: 'not_installed' } });
    expect(await readCloudInit(absent.root, { kernelBootMs: absent.kernelBootMs })).toMatchObject({
      state: 'not_installed',
      notes: ['no cloud-init status, log or binary found'],
    });
    const waiting = await machine({ cloudInit: { state: 'not_started' } });
    expect(await readCloudInit(waiting.root, { kernelBootMs: waiting.kernelBootMs })).toMatchObject(
      {
        state: 'running',
        notes: ['/usr/bin/cloud-init is installed; no status for this boot yet'],
      },
    );
    const disabled = await machine({ cloudInit: { state: 'disabled' } });
    expect(
      await readCloudInit(disabled.root, { kernelBootMs: disabled.kernelBootMs }),
    ).toMatchObject({
      state: 'disabled',
      notes: ['disabled by /etc/cloud/cloud-init.disabled'],
    });
  });

  it('disabled by the generator marker or the kernel command line', async () => {
    const gen = await machine({ cloudInit: { state: 'not_started' } });
    await gen.writeFile('/run/cloud-init/disabled', '');
    expect((await readCloudInit(gen.root)).state).toBe('disabled');
    const cmd = await machine({
      cloudInit: { state: 'not_started' },
      cmdline: 'cloud-init=disabled',
    });
    expect(await readCloudInit(cmd.root)).toMatchObject({
      state: 'disabled',
      notes: ['disabled by /proc/cmdline (cloud-init=disabled)'],
    });
  });

  it("this boot's status in /run wins over a disabled marker written during the boot", async () => {
    const m = await machine();
    await m.writeFile('/etc/cloud/cloud-init.disabled', '');
    expect((await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs })).state).toBe('done');
  });

  it('/var/lib/cloud/data counts when written during this boot, not when left by the last one', async () => {
    const fresh = await machine({ cloudInit: { location: 'var-lib' } });
    const s = await readCloudInit(fresh.root, { kernelBootMs: fresh.kernelBootMs });
    expect(s.state).toBe('done');
    expect(s.source.status).toBe('/var/lib/cloud/data/status.json');

    const stale = await machine({ cloudInit: { location: 'var-lib', fromPreviousBoot: true } });
    const t = await readCloudInit(stale.root, { kernelBootMs: stale.kernelBootMs });
    expect(t.state).toBe('running');
    expect(t.notes).toEqual([
      '/var/lib/cloud/data/status.json: written before this boot, ignored',
      '/usr/bin/cloud-init is installed; no status for this boot yet',
    ]);
  });

  it('a garbled status.json is a note; the log is read instead', async () => {
    const log = fixture('al2023-25.2-cloud-init.log');
    const m = await machine({ cloudInit: { state: 'not_started', log } });
    await m.writeFile('/run/cloud-init/status.json', '{"v1": {"init": ');
    const s = await readCloudInit(m.root);
    expect(s.state).toBe('done');
    expect(s.source.log).toBe('/var/log/cloud-init.log');
    expect(s.version).toBe('25.2');
    expect(s.notes[0]).toMatch(/^\/run\/cloud-init\/status\.json: expected JSON/);
  });

  it('the log counts only for the boot it matches', async () => {
    const log = fixture('failure-18.5-cloud-init.log');
    const m = await machine({ cloudInit: { state: 'not_started', log } });
    const first = await readCloudInit(m.root, { kernelBootMs: Date.parse('2020-01-16T19:14:29Z') });
    expect(first).toMatchObject({ state: 'error', datasource: 'DataSourceNone' });
    // This machine booted in 2026 or later: the 2020 log is from other boots.
    const now = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(now.state).toBe('running');
    expect(now.notes[0]).toMatch(/none of its 7 boots matches the kernel boot time/);
  });

  it('names the version from the log when status.json is the source', async () => {
    const m = await machine({ cloudInit: { log: fixture('al2023-25.2-cloud-init.log') } });
    const s = await readCloudInit(m.root, { kernelBootMs: m.kernelBootMs });
    expect(s.source.status).toBe('/run/cloud-init/status.json');
    expect(s.version).toBe('25.2');
  });

  it('a root that does not exist is not_installed, not a throw', async () => {
    const s = await readCloudInit('/nonexistent/bootwatch-root');
    expect(s.state).toBe('not_installed');
  });
});

describe('waitForCloudInit', () => {
  it('polls until cloud-init is done and says when that was observed', async () => {
    const m = await machine({ cloudInit: { state: 'running', runningStage: 'modules-config' } });
    const clock = new ManualClock(1_000_000);
    let sleeps = 0;
    const w = await waitForCloudInit(m.root, {
      kernelBootMs: m.kernelBootMs,
      deadlineMs: 1_000_000 + 60_000,
      pollMs: 2000,
      clock,
      sleep: async (ms) => {
        sleeps++;
        clock.advance(ms);
        if (sleeps === 3) await m.setCloudInit({});
      },
    });
    expect(w.timedOut).toBe(false);
    expect(w.cloudInit.state).toBe('done');
    expect(w.observedAtMs).toBe(1_006_000);
    expect(sleeps).toBe(3);
  });

  it('stops at an error, at disabled and at not_installed without sleeping', async () => {
    for (const state of ['error', 'disabled', 'not_installed'] as const) {
      const m = await machine({ cloudInit: { state } });
      let slept = false;
      const w = await waitForCloudInit(m.root, {
        kernelBootMs: m.kernelBootMs,
        deadlineMs: 10_000,
        clock: new ManualClock(0),
        sleep: async () => {
          slept = true;
        },
      });
      expect(w.cloudInit.state).toBe(state);
      expect(slept).toBe(false);
    }
  });

  it('gives up at the deadline, sleeping no further than it', async () => {
    const m = await machine({ cloudInit: { state: 'running' } });
    const clock = new ManualClock(0);
    const slept: number[] = [];
    const w = await waitForCloudInit(m.root, {
      kernelBootMs: m.kernelBootMs,
      deadlineMs: 5000,
      pollMs: 2000,
      clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock.advance(ms);
      },
    });
    expect(w).toMatchObject({ timedOut: true, observedAtMs: 5000 });
    expect(w.cloudInit.state).toBe('running');
    expect(slept).toEqual([2000, 2000, 1000]);
  });

  it('a clock that never moves cannot make it loop forever', async () => {
    const m = await machine({ cloudInit: { state: 'running' } });
    let sleeps = 0;
    const w = await waitForCloudInit(m.root, {
      deadlineMs: 10_000,
      pollMs: 1000,
      clock: new ManualClock(0),
      sleep: async () => {
        sleeps++;
      },
    });
    expect(w.timedOut).toBe(true);
    expect(sleeps).toBe(10);
  });
});
