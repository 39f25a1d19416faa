// Host facts for the report's resource attributes, through systeminformation: os, arch, cpu, memory,
// hostname. Cheap by construction: the package is imported only when called, only osInfo, cpu and
// mem are asked, in parallel, under one timeout (default 2 s). Never throws: on failure or timeout
// it returns what it has, with a note.
import type { Systeminformation } from 'systeminformation';
import { ResourceAttr } from '../shared/conventions.js';
import { errorMessage } from '../shared/errors.js';

/** The part of systeminformation used here (injected in tests). */
export interface SystemInfoSource {
  osInfo(): Promise<Systeminformation.OsData>;
  cpu(): Promise<Systeminformation.CpuData>;
  mem(): Promise<Systeminformation.MemData>;
}

export type HostAttributeKey =
  | typeof ResourceAttr.osType
  | typeof ResourceAttr.osDescription
  | typeof ResourceAttr.osVersion
  | typeof ResourceAttr.hostArch
  | typeof ResourceAttr.hostName
  | typeof ResourceAttr.hostCpuCount
  | typeof ResourceAttr.hostCpuModel
  | typeof ResourceAttr.hostMemoryBytes;

export interface HostFacts {
  /** OTLP resource attributes, keyed by their semantic-convention names; absent when unknown. */
  attributes: Partial<Record<HostAttributeKey, string | number>>;
  /** The kernel release (uname -r), which os.description also carries. */
  kernel: string | null;
  notes: string[];
}

export const DefaultHostFactsTimeoutMs = 2000;

// OpenTelemetry semconv host.arch values, from Node's process.arch names.
const OtelArch: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm32',
  ia32: 'x86',
  ppc: 'ppc32',
  ppc64: 'ppc64',
  s390x: 's390x',
};

/** host.arch as the semantic conventions spell it; unknown architectures pass through as they are. */
export function otelArch(arch: string): string {
  return OtelArch[arch] ?? arch;
}

// OpenTelemetry semconv os.type values, from Node's process.platform names.
const OtelOsType: Record<string, string> = { win32: 'windows', sunos: 'solaris' };

/** os.type as the semantic conventions spell it (systeminformation says "Windows" for win32). */
export function otelOsType(platform: string): string {
  const p = platform.toLowerCase();
  return OtelOsType[p] ?? p;
}

/** "Intel Xeon Platinum 8259CL": the manufacturer once, then the brand. */
function cpuModel(c: Systeminformation.CpuData): string {
  const brand = c.brand.trim();
  const maker = c.manufacturer.trim();
  return maker && !brand.toLowerCase().startsWith(maker.toLowerCase())
    ? `${maker} ${brand}`.trim()
    : brand;
}

/**
 * Maps what systeminformation answered to resource attributes. Pure: each argument may be missing.
 * os.version is the distribution release ("2023", "22.04") as the semantic conventions' examples
 * show; os.description is human-readable and also names the kernel.
 */
export function hostAttributes(
  os: Systeminformation.OsData | null,
  cpu: Systeminformation.CpuData | null,
  mem: Systeminformation.MemData | null,
): HostFacts['attributes'] {
  const a: HostFacts['attributes'] = {};
  if (os) {
    if (os.platform) a[ResourceAttr.osType] = otelOsType(os.platform);
    const distro = [os.distro, os.release].filter((s) => s).join(' ');
    const kernel = os.kernel ? `kernel ${os.kernel}` : '';
    const description = distro && kernel ? `${distro} (${kernel})` : distro || kernel;
    if (description) a[ResourceAttr.osDescription] = description;
    if (os.release) a[ResourceAttr.osVersion] = os.release;
    if (os.arch) a[ResourceAttr.hostArch] = otelArch(os.arch);
    if (os.hostname) a[ResourceAttr.hostName] = os.hostname;
  }
  if (cpu) {
    if (cpu.cores > 0) a[ResourceAttr.hostCpuCount] = cpu.cores;
    const model = cpuModel(cpu);
    if (model) a[ResourceAttr.hostCpuModel] = model;
  }
  if (mem && mem.total > 0) a[ResourceAttr.hostMemoryBytes] = mem.total;
  return a;
}

async function loadSystemInformation(): Promise<SystemInfoSource> {
  const mod = await import('systeminformation');
  return (mod as { default?: SystemInfoSource }).default ?? mod;
}

/** Reads the host facts; what did not arrive within `timeoutMs` is left out, with a note. */
export async function readHostFacts(
  options: { timeoutMs?: number; load?: () => Promise<SystemInfoSource> } = {},
): Promise<HostFacts> {
  const timeoutMs = options.timeoutMs ?? DefaultHostFactsTimeoutMs;
  const load = options.load ?? loadSystemInformation;
  const notes: string[] = [];
  const got: {
    os: Systeminformation.OsData | null;
    cpu: Systeminformation.CpuData | null;
    mem: Systeminformation.MemData | null;
  } = { os: null, cpu: null, mem: null };

  const work = (async () => {
    const si = await load();
    const ask = <K extends keyof typeof got>(key: K, call: () => Promise<(typeof got)[K]>) =>
      call().then(
        (v) => {
          got[key] = v;
        },
        (e: unknown) => {
          notes.push(`systeminformation ${key}: ${errorMessage(e)}`);
        },
      );
    await Promise.all([
      ask('os', () => si.osInfo()),
      ask('cpu', () => si.cpu()),
      ask('mem', () => si.mem()),
    ]);
  })().catch((e: unknown) => {
    notes.push(`systeminformation cannot be loaded: ${errorMessage(e)}`);
  });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    work.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  // A snapshot: answers arriving after the timeout must not change what was returned.
  const snapshot = { ...got };
  const result: HostFacts = {
    attributes: hostAttributes(snapshot.os, snapshot.cpu, snapshot.mem),
    kernel: snapshot.os?.kernel || null,
    notes: [...notes],
  };
  if (timedOut) {
    const missing = Object.entries(snapshot)
      .filter(([, v]) => v === null)
      .map(([k]) => k);
    result.notes.push(
      `systeminformation did not answer ${missing.join(', ')} within ${timeoutMs} ms`,
    );
  }
  return result;
}
