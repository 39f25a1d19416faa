// The kernel's view of this boot: which boot it is (boot_id), when the kernel started (btime), how
// long it has been up, and when PID 1 (systemd) started. Pure parsers for each /proc file, plus a
// reader that applies them under BOOTWATCH_ROOT.
import { readFile } from 'node:fs/promises';
import { BootwatchError, errorMessage } from '../shared/errors.js';
import { rootPath } from './root-path.js';

export interface KernelFacts {
  /** /proc/sys/kernel/random/boot_id: one value per boot, the second half of the boot key. */
  bootId: string;
  /** btime of /proc/stat in epoch ms. The kernel truncates it to whole seconds. */
  kernelBootMs: number;
  /** First field of /proc/uptime. */
  uptimeSeconds: number;
  /** When PID 1 started (epoch ms); null when /proc/1/stat cannot be read or parsed. */
  pid1StartedMs: number | null;
  /** What was missing or unparseable among the optional sources. */
  notes: string[];
}

const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const Decimal = /^\d+(?:\.\d+)?$/;

function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return JSON.stringify(shown);
}

/** /proc/uptime: "1126.74 2056.61" (seconds up, seconds idle summed over CPUs). */
export function parseUptime(text: string): number {
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (!Decimal.test(first)) {
    throw new BootwatchError(
      'BW_PROC_PARSE',
      `/proc/uptime: expected "<seconds> <idle seconds>", got ${quote(text)}`,
    );
  }
  return Number(first);
}

/** The btime line of /proc/stat: "btime 1795614189", seconds since the epoch. */
export function parseBtime(text: string): number {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  if (!m) {
    throw new BootwatchError(
      'BW_PROC_PARSE',
      `/proc/stat: expected a line "btime <epoch seconds>", got ${quote(text)}`,
    );
  }
  return Number(m[1]);
}

/** /proc/sys/kernel/random/boot_id: a UUID, normalized to lower case. */
export function parseBootId(text: string): string {
  const id = text.trim();
  if (!Uuid.test(id)) {
    throw new BootwatchError(
      'BW_PROC_PARSE',
      `/proc/sys/kernel/random/boot_id: expected a UUID, got ${quote(text)}`,
    );
  }
  return id.toLowerCase();
}

/**
 * Field 22 of /proc/<pid>/stat (starttime, in clock ticks since boot). Field 2 is the command
 * name in parentheses and may itself hold spaces and ')' ("1 (my (odd) init) S 0 ..."), so the
 * fields are counted from the last ')': field 3 (state) is the first token after it, field 22
 * the twentieth.
 */
export function parseStartTimeTicks(text: string): number {
  const close = text.lastIndexOf(')');
  const fields =
    close < 0
      ? []
      : text
          .slice(close + 1)
          .trim()
          .split(/\s+/);
  const start = fields[19];
  if (start === undefined || !/^\d+$/.test(start)) {
    throw new BootwatchError(
      'BW_PROC_PARSE',
      `/proc/1/stat: expected "pid (comm) state ..." with at least 22 fields, got ${quote(text)}`,
    );
  }
  return Number(start);
}

/** PID 1's start in epoch ms: btime plus starttime ticks (CLK_TCK is 100 on Linux x86 and arm). */
export function pid1StartedMs(kernelBootMs: number, startTicks: number, clkTck = 100): number {
  return kernelBootMs + Math.round((startTicks * 1000) / clkTck);
}

async function readProc(root: string, absPath: string): Promise<string> {
  try {
    return await readFile(rootPath(root, absPath), 'utf8');
  } catch (e) {
    throw new BootwatchError('BW_PROC_PARSE', `${absPath}: cannot be read (${errorMessage(e)})`, {
      cause: e,
    });
  }
}

/**
 * Reads the kernel facts under `root`. boot_id, btime and uptime are mandatory: without them there
 * is no boot key and no time base, so this throws BW_PROC_PARSE and the caller decides. PID 1's
 * start only refines a phase, so its absence is a note.
 */
export async function readKernel(
  root: string,
  options: { clkTck?: number } = {},
): Promise<KernelFacts> {
  const [bootIdText, statText, uptimeText] = await Promise.all([
    readProc(root, '/proc/sys/kernel/random/boot_id'),
    readProc(root, '/proc/stat'),
    readProc(root, '/proc/uptime'),
  ]);
  const kernelBootMs = parseBtime(statText) * 1000;
  const notes: string[] = [];
  let pid1: number | null = null;
  try {
    const ticks = parseStartTimeTicks(await readProc(root, '/proc/1/stat'));
    pid1 = pid1StartedMs(kernelBootMs, ticks, options.clkTck);
  } catch (e) {
    notes.push(`PID 1 start time unknown: ${errorMessage(e)}`);
  }
  return {
    bootId: parseBootId(bootIdText),
    kernelBootMs,
    uptimeSeconds: parseUptime(uptimeText),
    pid1StartedMs: pid1,
    notes,
  };
}
