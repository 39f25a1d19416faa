// Where the CPU goes while a benchmark loads a server: per process (or group of processes), the
// share of one core used between start() and stop(), from /proc/<pid>/stat (Linux; 0 elsewhere).
// PostgreSQL is every process named `postgres`: its backends, WAL writer and checkpointer, and
// those of anything else using the same server meanwhile.
import { readdirSync, readFileSync } from 'node:fs';

/** /proc counts CPU time in clock ticks: USER_HZ, 100 on every Linux Node.js runs on. */
const clockTicksPerSecond = 100;

/** CPU seconds a process used so far (user + system), or 0 when it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return 0;
  }
}

export function postgresPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    });
}

/** The processes of each named group, looked up at start (PostgreSQL's backends come and go). */
export type CpuGroups = Record<string, () => number[]>;

export interface CpuShares {
  /** Share of one core per group: 1.0 is one core busy all the time. */
  [group: string]: number;
}

export class CpuMeter {
  private pids: Record<string, number[]> = {};
  private before = new Map<number, number>();
  private selfBefore = 0;
  private startedAt = 0;

  /** `self` (this process: the load generator) is always measured. */
  constructor(private readonly groups: CpuGroups) {}

  start(): void {
    this.pids = Object.fromEntries(Object.entries(this.groups).map(([k, f]) => [k, f()]));
    this.before = new Map(
      Object.values(this.pids)
        .flat()
        .map((pid) => [pid, cpuSeconds(pid)]),
    );
    this.selfBefore = selfSeconds();
    this.startedAt = performance.now();
  }

  /**
   * A process that ended meanwhile is left out (its last figure is gone); one that started
   * meanwhile (a new PostgreSQL backend) counts from zero.
   */
  stop(): CpuShares {
    const wall = (performance.now() - this.startedAt) / 1000;
    const out: CpuShares = {};
    for (const [group, find] of Object.entries(this.groups)) {
      const pids = new Set([...(this.pids[group] ?? []), ...find()]);
      let used = 0;
      for (const pid of pids) {
        const now = cpuSeconds(pid);
        if (now > 0) used += Math.max(0, now - (this.before.get(pid) ?? 0));
      }
      out[group] = used / wall;
    }
    out.loadGenerator = (selfSeconds() - this.selfBefore) / wall;
    return out;
  }
}

function selfSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** "collector 0.93, postgres 0.61, load generator 0.38" (cores), in the meter's group order. */
export function cpuText(shares: CpuShares): string {
  const name = (g: string) => (g === 'loadGenerator' ? 'load generator' : g);
  return Object.entries(shares)
    .map(([g, v]) => `${name(g)} ${v.toFixed(2)}`)
    .join(', ');
}
