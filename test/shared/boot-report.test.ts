import { describe, expect, it } from 'vitest';
import {
  bootReportProblems,
  contractProblems,
  saysUnknown,
  type BootReport,
} from '../../shared/boot-report.js';
import { freeTextOf, isFreeText, isPrintable } from '../../shared/text.js';

const received = Date.parse('2026-03-02T12:00:00Z');

const report: BootReport = {
  instanceId: 'i-0abc123def4567890',
  bootId: '0f6b1c3e-7b4a-4c1e-9d1e-2a3b4c5d6e7f',
  firstBoot: true,
  launchedAt: '2026-03-02T11:00:00Z',
  kernelStartedAt: '2026-03-02T11:00:11Z',
  amiId: 'ami-0123456789abcdef0',
  amiVersion: '2026.03.1',
  region: 'eu-west-1',
  instanceType: 'm7g.large',
  outcome: 'success',
  reason: 'none',
  timeToReadySeconds: 47.3,
  phases: { provisioning: 11, kernel: 1.2 },
};

const agent = { receivedAtMs: received, decidedBy: 'agent' } as const;

describe('the boot report schema', () => {
  it('accepts the report', () => {
    expect(bootReportProblems(report)).toEqual([]);
  });

  it.each([
    ['an impossible date', { launchedAt: '2026-02-30T10:00:00Z' }, '/launchedAt'],
    ['a date without a zone', { launchedAt: '2026-03-02T10:00:00' }, '/launchedAt'],
    ['a phase of 1e308 s', { phases: { kernel: 1e308 } }, '/phases/kernel'],
    ['a time to ready of 40 days', { timeToReadySeconds: 40 * 86400 }, '/timeToReadySeconds'],
    ['a NUL in the instance id', { instanceId: 'i-0abc\u0000' }, '/instanceId'],
    ['an escape in the boot id', { bootId: 'b\u001b[31m' }, '/bootId'],
    ['a C1 control in the region', { region: 'eu-west-1\u0085' }, '/region'],
    ['a lone surrogate in the version', { amiVersion: '2026.\ud800' }, '/amiVersion'],
    ['a line break in the group', { asg: 'web\nasg' }, '/asg'],
  ])('refuses %s', (_, change, path) => {
    const problems = bootReportProblems({ ...report, ...change });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(new RegExp(`^${path}: `));
  });

  it('accepts an agent’s own record without IMDS facts, and a multi-line failure detail', () => {
    const own = { ...report, amiId: '', region: '', instanceType: '', failureDetail: 'a\n\tb' };
    expect(bootReportProblems(own)).toEqual([]);
  });
});

describe('contractProblems', () => {
  it('passes a report that keeps the contract', () => {
    expect(contractProblems(report, agent)).toEqual([]);
    const failure = { ...report, outcome: 'failure', reason: 'probe_timeout' } as const;
    expect(contractProblems(failure, agent)).toEqual([]);
  });

  it.each([
    [
      'a success with the reason no_report',
      'success',
      'no_report',
      /a success has the reason "none"/,
    ],
    ['a success with a failure reason', 'success', 'probe_timeout', /a success has the reason/],
    ['a failure with the reason none', 'failure', 'none', /a failure an agent decides/],
    ['an agent-sent no_report', 'failure', 'no_report', /a failure an agent decides/],
    ['an agent-sent terminated_before_ready', 'failure', 'terminated_before_ready', /agent/],
  ] as const)('refuses %s', (_, outcome, reason, message) => {
    const problems = contractProblems({ ...report, outcome, reason }, agent);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('lets the collector decide no_report and terminated_before_ready, never a failure `none`', () => {
    const collector = { receivedAtMs: received, decidedBy: 'collector' } as const;
    for (const reason of ['no_report', 'terminated_before_ready'] as const) {
      expect(contractProblems({ ...report, outcome: 'failure', reason }, collector)).toEqual([]);
    }
    expect(contractProblems({ ...report, outcome: 'failure', reason: 'none' }, collector)).toEqual([
      expect.stringMatching(/a failure the collector decides/),
    ]);
  });

  it.each([
    ['launched in 1970', { launchedAt: '1970-01-01T00:00:00Z', kernelStartedAt: undefined }],
    ['launched in 2099', { launchedAt: '2099-01-01T00:00:00Z', kernelStartedAt: undefined }],
    ['launched in 2001', { launchedAt: '2001-09-01T00:00:00Z', kernelStartedAt: undefined }],
    ['ready 6 minutes after it was received', { launchedAt: '2026-03-02T12:05:13Z' }],
    ['ready a day after it was received', { launchedAt: '2026-03-03T12:00:00Z' }],
    ['a kernel started in 2099', { kernelStartedAt: '2099-01-01T00:00:00Z' }],
  ])('refuses a report %s', (_, change) => {
    const problems = contractProblems({ ...report, ...change }, agent);
    expect(problems.length).toBeGreaterThan(0);
  });

  it.each([
    ['ready 5 minutes ahead of the collector’s clock', { launchedAt: '2026-03-02T12:04:12.7Z' }],
    [
      'launched on the day EC2 opened, years before (a spooled report)',
      { launchedAt: '2006-08-25T00:00:00Z', kernelStartedAt: undefined },
    ],
  ])('accepts a report %s (the bounds are inclusive)', (_, change) => {
    expect(contractProblems({ ...report, ...change }, agent)).toEqual([]);
  });
});

describe('saysUnknown', () => {
  it.each([undefined, '', '  ', 'unknown', 'Unknown', 'other', ' OTHER '])(
    '%j says unknown',
    (v) => {
      expect(saysUnknown(v)).toBe(true);
    },
  );
  it.each(['2026.03.1', 'unknown-2', 'others', 'v1'])('%j is a value', (v) => {
    expect(saysUnknown(v)).toBe(false);
  });
});

describe('text rules', () => {
  it('keep printable ids and free text apart', () => {
    expect(isPrintable('web-asg é 😀')).toBe(true);
    expect(isPrintable('a\tb')).toBe(false);
    expect(isFreeText('a\tb\r\nc')).toBe(true);
    expect(isFreeText('a\u0000b')).toBe(false);
  });

  it('store free text with what it may not hold as U+FFFD', () => {
    expect(freeTextOf('exit 1\u0000\u001b[31m')).toBe('exit 1\ufffd\ufffd[31m');
    expect(freeTextOf('x\ud800 😀\nnext')).toBe('x\ufffd 😀\nnext');
  });
});
