import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeBoot, type BootObservation } from '../../agent/boot-judge.js';
import { bootReportProblems } from '../../shared/boot-report.js';

const t = (hms: string) => Date.parse(`2026-11-25T${hms}Z`);

/** The worked example of boot-judge.ts's header comment: a clean first boot. */
function cleanBoot(): BootObservation {
  return {
    identity: {
      instanceId: 'i-0123456789abcdef0',
      amiId: 'ami-0abc',
      amiVersion: '2026.11.3',
      accountId: '123456789012',
      region: 'eu-west-1',
      availabilityZone: 'eu-west-1a',
      instanceType: 'm7g.large',
      asg: 'web-asg',
    },
    bootId: '9f1e6c1e-3c3a-4a53-9d1b-2f8a1c0b7e55',
    firstBoot: true,
    pendingTimeMs: t('12:00:00'),
    kernelBootMs: t('12:00:21'),
    pid1StartedMs: t('12:00:23'),
    cloudInit: {
      state: 'done',
      stages: [
        { name: 'init_local', startMs: t('12:00:25'), finishMs: t('12:00:27') },
        { name: 'init', startMs: t('12:00:27'), finishMs: t('12:00:35') },
        { name: 'modules_config', startMs: t('12:00:35'), finishMs: t('12:00:38') },
        { name: 'modules_final', startMs: t('12:00:38'), finishMs: t('12:00:52') },
      ],
      finishedAtMs: t('12:00:52'),
      errors: [],
    },
    failedUnits: [],
    probes: { configured: 1, tried: true, allPassed: true, readyAtMs: t('12:01:04'), failing: [] },
    deadlineMs: 600_000,
    lookedAtMs: t('12:00:30'),
    nowMs: t('12:01:05'),
  };
}

describe('judgeBoot', () => {
  it('computes time to ready and every phase of a clean first boot', () => {
    const r = judgeBoot(cleanBoot());
    expect(bootReportProblems(r)).toEqual([]);
    expect(r).toMatchObject({
      outcome: 'success',
      reason: 'none',
      timeToReadySeconds: 64,
      launchedAt: '2026-11-25T12:00:00.000Z',
      kernelStartedAt: '2026-11-25T12:00:21.000Z',
      firstBoot: true,
      asg: 'web-asg',
    });
    expect(r.phases).toEqual({
      provisioning: 21,
      kernel: 2,
      userspace: 2,
      cloud_init_init_local: 2,
      cloud_init_init: 8,
      cloud_init_modules_config: 3,
      cloud_init_modules_final: 14,
      probe_wait: 12,
    });
    expect(r.failureDetail).toBeUndefined();
  });

  it('ready is when cloud-init finished if probes passed earlier', () => {
    const o = cleanBoot();
    o.probes.readyAtMs = t('12:00:30');
    expect(judgeBoot(o).timeToReadySeconds).toBe(52);
  });

  it('a cloud-init error is a cloud_init_error decided when cloud-init finished', () => {
    const o = cleanBoot();
    o.cloudInit.state = 'error';
    o.cloudInit.errors = ["('init', RuntimeError('no datasource'))"];
    const r = judgeBoot(o);
    expect(r).toMatchObject({
      outcome: 'failure',
      reason: 'cloud_init_error',
      timeToReadySeconds: 52,
    });
    expect(r.failureDetail).toContain('no datasource');
    expect(r.phases.probe_wait).toBeUndefined();
  });

  it('probes still failing at the deadline give probe_timeout at launch + deadline', () => {
    const o = cleanBoot();
    o.probes = {
      configured: 1,
      tried: true,
      allPassed: false,
      readyAtMs: null,
      failing: ['http-app: status 503'],
    };
    o.nowMs = t('12:10:00');
    const r = judgeBoot(o);
    expect(r).toMatchObject({
      outcome: 'failure',
      reason: 'probe_timeout',
      timeToReadySeconds: 600,
    });
    expect(r.failureDetail).toContain('http-app');
  });

  it('cloud-init still running at the deadline is a probe_timeout', () => {
    const o = cleanBoot();
    o.cloudInit.state = 'running';
    o.cloudInit.finishedAtMs = null;
    expect(judgeBoot(o)).toMatchObject({ reason: 'probe_timeout', timeToReadySeconds: 600 });
  });

  it('a failed unit is unit_failed', () => {
    const o = cleanBoot();
    o.failedUnits = ['app.service'];
    expect(judgeBoot(o)).toMatchObject({ outcome: 'failure', reason: 'unit_failed' });
  });

  it('no systemd is not a failure', () => {
    const o = cleanBoot();
    o.failedUnits = null;
    expect(judgeBoot(o).outcome).toBe('success');
  });

  it('an agent error is agent_error', () => {
    const o = cleanBoot();
    o.agentError = 'IMDS unreachable';
    expect(judgeBoot(o)).toMatchObject({
      reason: 'agent_error',
      failureDetail: 'IMDS unreachable',
    });
  });

  it('a reboot is measured from the kernel boot time, without a provisioning phase', () => {
    const o = cleanBoot();
    o.firstBoot = false;
    const r = judgeBoot(o);
    expect(r.launchedAt).toBe('2026-11-25T12:00:21.000Z');
    expect(r.timeToReadySeconds).toBe(43);
    expect(r.phases.provisioning).toBeUndefined();
  });

  it('without IMDS (no pendingTime) the kernel boot time is the launch', () => {
    const o = cleanBoot();
    o.pendingTimeMs = null;
    expect(judgeBoot(o).launchedAt).toBe('2026-11-25T12:00:21.000Z');
  });

  describe('what the agent can know when it looks late', () => {
    const noProbes = { configured: 0, tried: false, allPassed: true, readyAtMs: null, failing: [] };

    it('without probes, ready is when cloud-init finished, not when the agent looked', () => {
      const o = cleanBoot();
      o.probes = { ...noProbes };
      // Started (or restarted by systemd) 20 s after modules-final finished.
      o.lookedAtMs = t('12:01:12');
      o.nowMs = t('12:01:13');
      const r = judgeBoot(o);
      expect(r).toMatchObject({ outcome: 'success', reason: 'none', timeToReadySeconds: 52 });
      expect(r.phases.probe_wait).toBeUndefined();
    });

    it("cloud-init's record judges the boot however late the agent reads it", () => {
      const o = cleanBoot();
      o.probes = { ...noProbes };
      o.lookedAtMs = t('15:00:00');
      o.nowMs = t('15:00:01');
      expect(judgeBoot(o)).toMatchObject({ outcome: 'success', timeToReadySeconds: 52 });
      o.cloudInit.finishedAtMs = t('12:10:30');
      expect(judgeBoot(o)).toMatchObject({
        reason: 'probe_timeout',
        timeToReadySeconds: 600,
        failureDetail: 'cloud-init finished only after the deadline',
      });
    });

    it('with nothing to wait for, the boot was ready at the latest when the agent looked', () => {
      const o = cleanBoot();
      o.probes = { ...noProbes };
      o.cloudInit = { state: 'not_installed', stages: [], finishedAtMs: null, errors: [] };
      o.lookedAtMs = t('12:00:40');
      expect(judgeBoot(o)).toMatchObject({ outcome: 'success', timeToReadySeconds: 40 });
    });

    it('with nothing to wait for and a first look after the deadline, it says so: no timeout', () => {
      const o = cleanBoot();
      o.probes = { ...noProbes };
      o.cloudInit = { state: 'not_installed', stages: [], finishedAtMs: null, errors: [] };
      o.lookedAtMs = t('12:15:00');
      o.nowMs = t('12:15:01');
      const r = judgeBoot(o);
      expect(r).toMatchObject({ outcome: 'failure', reason: 'agent_error' });
      expect(r.failureDetail).toBe(
        'nothing tells when this boot became ready (cloud-init not installed, no readiness probes), ' +
          "and the agent first looked 5m after the boot's deadline",
      );
    });

    it('probes the agent started too late to try are not a probe timeout', () => {
      const o = cleanBoot();
      o.probes = { configured: 1, tried: false, allPassed: false, readyAtMs: null, failing: [] };
      o.lookedAtMs = t('12:11:40');
      o.nowMs = t('12:11:41');
      const r = judgeBoot(o);
      expect(r).toMatchObject({ outcome: 'failure', reason: 'agent_error' });
      expect(r.failureDetail).toContain("started 1m40s after the boot's deadline");
    });

    it('cloud-init seen still running after the deadline was running at the deadline', () => {
      const o = cleanBoot();
      o.cloudInit.state = 'running';
      o.cloudInit.finishedAtMs = null;
      o.probes = { ...noProbes };
      o.lookedAtMs = t('12:20:00');
      expect(judgeBoot(o)).toMatchObject({ reason: 'probe_timeout', timeToReadySeconds: 600 });
    });
  });

  it('always yields a valid report with time to ready within [0, deadline] for failures', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1200_000 }),
        fc.integer({ min: 0, max: 1200_000 }),
        fc.boolean(),
        fc.constantFrom('done', 'error', 'running', 'not_installed', 'disabled' as const),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 1200_000 }),
        (probeAt, ciFinish, passed, state, configured, lookedAt) => {
          const o = cleanBoot();
          o.cloudInit.state = state;
          o.cloudInit.finishedAtMs = t('12:00:21') + ciFinish;
          o.probes = {
            configured,
            tried: configured > 0 && lookedAt <= 579_000,
            allPassed: passed,
            readyAtMs: passed ? t('12:00:21') + probeAt : null,
            failing: [],
          };
          o.lookedAtMs = t('12:00:21') + lookedAt;
          o.nowMs = t('12:00:21') + Math.max(probeAt, ciFinish, lookedAt);
          const r = judgeBoot(o);
          expect(bootReportProblems(r)).toEqual([]);
          expect(r.timeToReadySeconds).toBeGreaterThanOrEqual(0);
          if (r.outcome === 'success') expect(r.timeToReadySeconds).toBeLessThanOrEqual(600);
          else expect(r.reason).not.toBe('none');
        },
      ),
    );
  });
});
