import type { Systeminformation } from 'systeminformation';
import { describe, expect, it } from 'vitest';
import {
  hostAttributes,
  otelArch,
  otelOsType,
  readHostFacts,
  type SystemInfoSource,
} from '../../agent/host-facts.js';
import { ResourceAttr } from '../../shared/conventions.js';

// Shapes as systeminformation 5.x answers them on an Amazon Linux 2023 m6i instance.
const os = {
  platform: 'linux',
  distro: 'Amazon Linux',
  release: '2023',
  codename: '',
  kernel: '6.1.112-124.190.amzn2023.x86_64',
  arch: 'x64',
  hostname: 'ip-172-31-0-100.us-west-2.compute.internal',
  fqdn: 'ip-172-31-0-100.us-west-2.compute.internal',
} as Systeminformation.OsData;
const cpu = {
  manufacturer: 'Intel',
  brand: 'Xeon® Platinum 8375C',
  cores: 4,
  physicalCores: 2,
  processors: 1,
} as Systeminformation.CpuData;
const mem = { total: 16_481_939_456 } as Systeminformation.MemData;

const never = <T>() => new Promise<T>(() => {});

function source(overrides: Partial<SystemInfoSource> = {}): SystemInfoSource {
  return {
    osInfo: async () => os,
    cpu: async () => cpu,
    mem: async () => mem,
    ...overrides,
  };
}

describe('mapping to OpenTelemetry resource attributes', () => {
  it('maps os, arch, cpu, memory and hostname', () => {
    expect(hostAttributes(os, cpu, mem)).toEqual({
      [ResourceAttr.osType]: 'linux',
      [ResourceAttr.osDescription]: 'Amazon Linux 2023 (kernel 6.1.112-124.190.amzn2023.x86_64)',
      [ResourceAttr.osVersion]: '2023',
      [ResourceAttr.hostArch]: 'amd64',
      [ResourceAttr.hostName]: 'ip-172-31-0-100.us-west-2.compute.internal',
      [ResourceAttr.hostCpuCount]: 4,
      [ResourceAttr.hostCpuModel]: 'Intel Xeon® Platinum 8375C',
      [ResourceAttr.hostMemoryBytes]: 16_481_939_456,
    });
  });

  it('does not repeat a manufacturer the brand already names; leaves out what is unknown', () => {
    const graviton = {
      manufacturer: 'ARM',
      brand: 'ARM Neoverse-V1',
      cores: 0,
    } as Systeminformation.CpuData;
    expect(hostAttributes(null, graviton, { total: 0 } as Systeminformation.MemData)).toEqual({
      [ResourceAttr.hostCpuModel]: 'ARM Neoverse-V1',
    });
    expect(hostAttributes(null, null, null)).toEqual({});
  });

  it('spells architectures and OS types as the semantic conventions do', () => {
    expect(otelArch('x64')).toBe('amd64');
    expect(otelArch('arm64')).toBe('arm64');
    expect(otelArch('arm')).toBe('arm32');
    expect(otelArch('ia32')).toBe('x86');
    expect(otelArch('riscv64')).toBe('riscv64');
    expect(otelOsType('linux')).toBe('linux');
    expect(otelOsType('Windows')).toBe('windows');
    expect(otelOsType('win32')).toBe('windows');
  });
});

describe('readHostFacts', () => {
  it('asks osInfo, cpu and mem only, in parallel, and maps them', async () => {
    const asked: string[] = [];
    let pending = 0;
    let maxPending = 0;
    const track =
      <T>(name: string, v: T) =>
      async () => {
        asked.push(name);
        pending++;
        maxPending = Math.max(maxPending, pending);
        await new Promise((r) => setImmediate(r));
        pending--;
        return v;
      };
    const facts = await readHostFacts({
      load: async () => ({
        osInfo: track('osInfo', os),
        cpu: track('cpu', cpu),
        mem: track('mem', mem),
      }),
    });
    expect(asked.sort()).toEqual(['cpu', 'mem', 'osInfo']);
    expect(maxPending).toBe(3);
    expect(facts.attributes[ResourceAttr.hostArch]).toBe('amd64');
    expect(facts.kernel).toBe('6.1.112-124.190.amzn2023.x86_64');
    expect(facts.notes).toEqual([]);
  });

  it('a call that fails leaves its attributes out, with a note', async () => {
    const facts = await readHostFacts({
      load: async () => source({ cpu: async () => Promise.reject(new Error('lscpu: not found')) }),
    });
    expect(facts.attributes[ResourceAttr.hostCpuModel]).toBeUndefined();
    expect(facts.attributes[ResourceAttr.osVersion]).toBe('2023');
    expect(facts.notes).toEqual(['systeminformation cpu: lscpu: not found']);
  });

  it('a call that hangs past the timeout: what arrived is returned, with a note', async () => {
    const facts = await readHostFacts({
      timeoutMs: 50,
      load: async () => source({ cpu: never }),
    });
    expect(facts.attributes[ResourceAttr.hostMemoryBytes]).toBe(16_481_939_456);
    expect(facts.attributes[ResourceAttr.hostCpuCount]).toBeUndefined();
    expect(facts.notes).toEqual(['systeminformation did not answer cpu within 50 ms']);
  });

  it('a package that cannot be loaded gives no attributes and a note, never a throw', async () => {
    const facts = await readHostFacts({
      load: async () => Promise.reject(new Error('MODULE_NOT_FOUND')),
    });
    expect(facts).toEqual({
      attributes: {},
      kernel: null,
      notes: ['systeminformation cannot be loaded: MODULE_NOT_FOUND'],
    });
  });

  it('with the real package, on this machine', async () => {
    const facts = await readHostFacts({ timeoutMs: 20_000 });
    expect(facts.notes).toEqual([]);
    expect(facts.attributes[ResourceAttr.osType]).toBe(otelOsType(process.platform));
    expect(facts.attributes[ResourceAttr.hostArch]).toBe(otelArch(process.arch));
    expect(facts.attributes[ResourceAttr.hostCpuCount]).toBeGreaterThan(0);
    expect(facts.attributes[ResourceAttr.hostMemoryBytes]).toBeGreaterThan(0);
  });
});
