import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCloudInitLog, parseLogBoots } from '../../agent/cloud-init-log.js';
import { CloudInitStages, type CloudInitState } from '../../agent/cloud-init-status.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/real/cloud-init/${name}`, import.meta.url), 'utf8');
const al2023 = fixture('al2023-25.2-cloud-init.log');
const failure = fixture('failure-18.5-cloud-init.log');

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
function stageTimes(s: CloudInitState) {
  return Object.fromEntries(
    CloudInitStages.map((n) => [n, [iso(s.stages[n].startMs), iso(s.stages[n].finishMs)]]),
  );
}

describe('cloud-init 25.2 on Amazon Linux 2023 (real, one clean boot)', () => {
  const parsed = parseCloudInitLog(al2023);
  const s = parsed.boot!.cloudInit;

  it('finds one boot and its kernel boot time (first stage line minus "Up 9.84 seconds")', () => {
    expect(parsed.bootCount).toBe(1);
    expect(iso(parsed.boot!.kernelBootMs)).toBe('2026-04-29T05:34:39.064Z');
    expect(parsed.boot!.firstLine).toBe(1);
    expect(parsed.boot!.lastLine).toBe(1114);
  });

  it('times each stage from its "running" line to its "finish: <stage>:" event', () => {
    expect(stageTimes(s)).toEqual({
      'init-local': ['2026-04-29T05:34:48.904Z', '2026-04-29T05:34:48.954Z'],
      init: ['2026-04-29T05:34:50.158Z', '2026-04-29T05:34:53.797Z'],
      'modules-config': ['2026-04-29T05:34:53.994Z', '2026-04-29T05:34:54.016Z'],
      'modules-final': ['2026-04-29T05:34:54.116Z', '2026-04-29T05:34:54.282Z'],
    });
    expect(iso(s.finishedAtMs)).toBe('2026-04-29T05:34:54.282Z');
  });

  it('is done with DataSourceEc2, version 25.2, and its one WARNING kept as recoverable', () => {
    expect(s.state).toBe('done');
    expect(s.complete).toBe(true);
    expect(s.datasource).toBe('DataSourceEc2');
    expect(s.version).toBe('25.2');
    expect(s.errors).toEqual([]);
    expect(s.recoverableErrors).toEqual([
      {
        stage: 'init',
        level: 'WARNING',
        message:
          "The 'get_meta_doc()' function is deprecated and will be removed in a future version of cloud-init.",
      },
    ]);
    expect(s.degraded).toBe(true);
    expect(s.source).toEqual({
      status: null,
      result: null,
      log: '/var/log/cloud-init.log',
      timeBase: 'log',
    });
  });

  it('converts local log times to UTC using the zone of the "at <date>" lines', () => {
    // The same log as written by a host in UTC+02:00: line times two hours ahead, dates with +0200.
    const shifted = al2023
      .replace(/^(\d{4}-\d{2}-\d{2}) 05:/gm, '$1 07:')
      .replace(/(at Wed, 29 Apr 2026) 05:(\d{2}:\d{2}) \+0000/g, '$1 07:$2 +0200');
    const t = parseCloudInitLog(shifted).boot!;
    expect(stageTimes(t.cloudInit)).toEqual(stageTimes(s));
    expect(t.kernelBootMs).toBe(parsed.boot!.kernelBootMs);
  });
});

describe('cloud-init 18.5 with 7 appended boots (real; the first fails in init-network)', () => {
  const boots = parseLogBoots(failure);

  it('splits the file at each init-local', () => {
    expect(boots.map((b) => b.firstLine)).toEqual([1, 191, 603, 954, 1305, 1656, 2007]);
    expect(boots.map((b) => b.cloudInit.state)).toEqual([
      'error',
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
    ]);
    expect(boots[6]!.lastLine).toBe(2357);
  });

  it('the first boot: init-network FAIL is an error, DataSourceNone, the warning recoverable', () => {
    const first = boots[0]!.cloudInit;
    expect(first.errors).toEqual([
      { stage: 'init', message: 'init-network: FAIL: searching for network datasources' },
    ]);
    expect(first.datasource).toBe('DataSourceNone');
    expect(first.recoverableErrors).toEqual([
      {
        stage: 'init',
        level: 'WARNING',
        message: "Getting data from <class 'cloudinit.sources.DataSourceUI.DataSourceUI'> failed",
      },
    ]);
    expect(stageTimes(first)).toEqual({
      'init-local': ['2020-01-16T19:14:48.519Z', '2020-01-16T19:14:48.533Z'],
      init: ['2020-01-16T19:15:00.230Z', '2020-01-16T19:15:52.281Z'],
      'modules-config': ['2020-01-16T19:15:52.456Z', '2020-01-16T19:15:52.457Z'],
      'modules-final': ['2020-01-16T19:15:52.607Z', '2020-01-16T19:15:52.608Z'],
    });
    expect(first.complete).toBe(true);
    expect(iso(boots[0]!.kernelBootMs)).toBe('2020-01-16T19:14:29.109Z');
  });

  it('without a kernel boot time the last boot is taken', () => {
    const parsed = parseCloudInitLog(failure);
    expect(parsed.bootCount).toBe(7);
    const last = parsed.boot!.cloudInit;
    expect(last.state).toBe('done');
    expect(last.degraded).toBe(false);
    expect(last.datasource).toBe('DataSourceUI');
    expect(last.version).toBe('18.5');
    expect(stageTimes(last)).toEqual({
      'init-local': ['2020-01-17T14:29:44.936Z', '2020-01-17T14:29:44.955Z'],
      init: ['2020-01-17T14:29:59.409Z', '2020-01-17T14:30:00.680Z'],
      'modules-config': ['2020-01-17T14:30:01.034Z', '2020-01-17T14:30:01.061Z'],
      'modules-final': ['2020-01-17T14:30:01.332Z', '2020-01-17T14:30:01.352Z'],
    });
  });

  it('with a kernel boot time (btime, whole seconds) the matching boot is taken', () => {
    const parsed = parseCloudInitLog(failure, { kernelBootMs: Date.parse('2020-01-16T19:14:29Z') });
    expect(parsed.boot!.firstLine).toBe(1);
    expect(parsed.boot!.cloudInit.state).toBe('error');
    const fourth = parseCloudInitLog(failure, { kernelBootMs: Date.parse('2020-01-17T10:35:23Z') });
    expect(fourth.boot!.firstLine).toBe(954);
  });

  it('a kernel boot time that no boot matches gives no boot, and says so', () => {
    const parsed = parseCloudInitLog(failure, { kernelBootMs: Date.parse('2020-01-18T00:00:00Z') });
    expect(parsed.boot).toBeNull();
    expect(parsed.notes).toEqual([
      '/var/log/cloud-init.log: none of its 7 boots matches the kernel boot time ' +
        '2020-01-18T00:00:00.000Z (closest: 2020-01-17T14:29:25.096Z)',
    ]);
  });
});

describe('synthetic logs', () => {
  const line = (time: string, text: string, level = 'DEBUG') =>
    `2024-03-01 ${time} - util.py[${level}]: ${text}`;
  const running = (time: string, mode: string, up: number) =>
    line(
      time,
      `Cloud-init v. 23.1 running '${mode}' at Fri, 01 Mar 2024 ${time.slice(0, 8)} +0000. Up ${up} seconds.`,
    );

  it('a boot still in a stage is running in that stage', () => {
    const text = [
      running('10:00:10,000', 'init-local', 10),
      line('10:00:11,000', 'finish: init-local: SUCCESS: searching for local datasources'),
      running('10:00:12,000', 'init', 12),
      line('10:00:12,500', 'something in progress'),
    ].join('\n');
    const s = parseCloudInitLog(text).boot!.cloudInit;
    expect(s.state).toBe('running');
    expect(s.currentStage).toBe('init');
    expect(s.stages.init.finishMs).toBeNull();
    expect(s.finishedAtMs).toBeNull();
  });

  it('the "took" line finishes a stage whose finish event is missing', () => {
    const text = [
      running('10:00:10,000', 'init-local', 10),
      line('10:00:10,250', "cloud-init mode 'init' took 0.250 seconds (0.25)"),
    ].join('\n');
    const s = parseCloudInitLog(text).boot!.cloudInit;
    expect(s.stages['init-local']).toEqual({
      startMs: Date.parse('2024-03-01T10:00:10.000Z'),
      finishMs: Date.parse('2024-03-01T10:00:10.250Z'),
    });
  });

  it('module failures are an error of their stage; a failed stage exception too', () => {
    const text = [
      running('10:00:10,000', 'modules:config', 30),
      line('10:00:10,100', 'Running module ntp (<module cc_ntp>) failed', 'WARNING'),
      line('10:00:10,200', 'Ran 12 modules with 1 failures'),
      line('10:00:10,300', 'finish: modules-config: FAIL: running modules for config'),
      running('10:00:11,000', 'modules:final', 31),
      line('10:00:11,100', 'failed stage modules-final', 'ERROR'),
    ].join('\n');
    const s = parseCloudInitLog(text).boot!.cloudInit;
    expect(s.state).toBe('error');
    expect(s.errors).toEqual([
      { stage: 'modules-config', message: 'Ran 12 modules with 1 failures' },
      { stage: 'modules-final', message: 'failed stage modules-final' },
    ]);
    expect(s.recoverableErrors).toHaveLength(1);
  });

  it('a lower uptime starts a new boot even without init-local', () => {
    const text = [running('10:00:10,000', 'init', 40), running('10:05:00,000', 'init', 12)].join(
      '\n',
    );
    const boots = parseLogBoots(text);
    expect(boots.map((b) => iso(b.kernelBootMs))).toEqual([
      '2024-03-01T09:59:30.000Z',
      '2024-03-01T10:04:48.000Z',
    ]);
  });

  it('a stage run again by hand in the same boot does not move its times', () => {
    const text = [
      running('10:00:10,000', 'modules:final', 30),
      line('10:00:11,000', 'finish: modules-final: SUCCESS: running modules for final'),
      running('11:00:00,000', 'modules:final', 3620),
      line('11:00:01,000', 'finish: modules-final: SUCCESS: running modules for final'),
    ].join('\n');
    const s = parseCloudInitLog(text).boot!.cloudInit;
    expect(iso(s.stages['modules-final'].finishMs)).toBe('2024-03-01T10:00:11.000Z');
  });

  it('text without stage lines gives no boot and a note', () => {
    const parsed = parseCloudInitLog('garbage\n\x00\x01\nmore garbage', { file: 'x.log' });
    expect(parsed).toEqual({
      boot: null,
      bootCount: 0,
      notes: [`x.log: no "Cloud-init v. X running '<stage>'" line found`],
    });
  });
});
