// systemd through systemctl: the failed units of this boot, and whether a unit is active (for
// readiness probes). A machine without systemctl, or where systemd is not PID 1 (a container), is
// an answer ("not available"), not an error: the boot path never throws at the boot.
import { execFile } from 'node:child_process';

export interface FailedUnit {
  unit: string;
  load: string;
  active: string;
  sub: string;
  description: string;
}

export interface SystemdUnavailable {
  available: false;
  reason: 'not_installed' | 'not_systemd' | 'timeout' | 'error';
  detail: string;
}

export type FailedUnitsResult = { available: true; units: FailedUnit[] } | SystemdUnavailable;
export type UnitActiveResult =
  { available: true; active: boolean; state: string } | SystemdUnavailable;

export interface ExecOutcome {
  /** The exit code; null when the process did not run or was killed. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not run or did not finish in time. */
  failure?: 'not_found' | 'timeout' | 'spawn_error';
  detail?: string;
}

/** Runs a program without a shell; never rejects. Injected in tests. */
export type Exec = (
  file: string,
  args: readonly string[],
  timeoutMs: number,
) => Promise<ExecOutcome>;

export const execFileExec: Exec = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024,
        env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '', LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        const out = { stdout: String(stdout), stderr: String(stderr) };
        if (!error) return resolve({ exitCode: 0, ...out });
        const code = (error as NodeJS.ErrnoException).code as unknown;
        if (code === 'ENOENT') {
          return resolve({ exitCode: null, ...out, failure: 'not_found', detail: error.message });
        }
        if (typeof code === 'number') return resolve({ exitCode: code, ...out });
        if (error.killed) {
          return resolve({
            exitCode: null,
            ...out,
            failure: 'timeout',
            detail: `${file} did not finish within ${timeoutMs} ms`,
          });
        }
        resolve({ exitCode: null, ...out, failure: 'spawn_error', detail: error.message });
      },
    );
  });

export const DefaultSystemctlTimeoutMs = 5000;

/**
 * Parses `systemctl list-units --state=failed --plain --no-legend --no-pager`:
 *   "nginx.service loaded failed failed A high performance web server"
 * Some versions still print a status bullet ("● x.service ...") before the unit; it is dropped.
 */
export function parseListUnits(text: string): FailedUnit[] {
  const units: FailedUnit[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw
      .trim()
      .replace(/^[●*]\s*/, '')
      .split(/\s+/);
    if (fields.length < 4 || fields[0] === '') continue;
    const [unit, load, active, sub, ...rest] = fields as [string, string, string, string];
    units.push({ unit, load, active, sub, description: rest.join(' ') });
  }
  return units;
}

// "System has not been booted with systemd as init system (PID 1). Can't operate."
// "Failed to connect to bus: No such file or directory" (no system bus, as in most containers)
const NotSystemd =
  /not been booted with systemd|Failed to connect to bus|Failed to get D-Bus connection/;

function unavailable(out: ExecOutcome, what: string): SystemdUnavailable | null {
  if (out.failure === 'not_found') {
    return { available: false, reason: 'not_installed', detail: 'systemctl is not installed' };
  }
  if (out.failure === 'timeout') {
    return { available: false, reason: 'timeout', detail: out.detail ?? `${what} timed out` };
  }
  if (out.failure) return { available: false, reason: 'error', detail: out.detail ?? what };
  if (NotSystemd.test(out.stderr)) {
    return { available: false, reason: 'not_systemd', detail: out.stderr.trim().split('\n')[0]! };
  }
  return null;
}

/** The units systemd lists as failed. */
export async function failedUnits(
  options: { exec?: Exec; timeoutMs?: number } = {},
): Promise<FailedUnitsResult> {
  const exec = options.exec ?? execFileExec;
  const args = ['list-units', '--state=failed', '--plain', '--no-legend', '--no-pager'];
  const out = await exec('systemctl', args, options.timeoutMs ?? DefaultSystemctlTimeoutMs);
  const none = unavailable(out, 'systemctl list-units');
  if (none) return none;
  if (out.exitCode !== 0) {
    const why = out.stderr.trim() || `exit code ${out.exitCode}`;
    return { available: false, reason: 'error', detail: `systemctl list-units: ${why}` };
  }
  return { available: true, units: parseListUnits(out.stdout) };
}

// systemd unit names: letters, digits, ":-_.\@", and never a leading '-' (it would be an option).
const UnitName = /^[A-Za-z0-9:_.\\@][A-Za-z0-9:_.\\@-]*$/;

/**
 * `systemctl is-active <unit>`: exit 0 and "active" when it is; exit 3 and "inactive", "failed",
 * "activating"... when not. Throws nothing; an invalid unit name is reported as an error result.
 */
export async function unitActive(
  unit: string,
  options: { exec?: Exec; timeoutMs?: number } = {},
): Promise<UnitActiveResult> {
  if (!UnitName.test(unit) || unit.length > 256) {
    return {
      available: false,
      reason: 'error',
      detail: `expected a systemd unit name such as nginx.service, got ${JSON.stringify(unit)}`,
    };
  }
  const exec = options.exec ?? execFileExec;
  const out = await exec(
    'systemctl',
    ['is-active', unit],
    options.timeoutMs ?? DefaultSystemctlTimeoutMs,
  );
  const none = unavailable(out, 'systemctl is-active');
  if (none) return none;
  const state = out.stdout.trim().split('\n')[0] ?? '';
  return {
    available: true,
    active: out.exitCode === 0 && state === 'active',
    state: state || 'unknown',
  };
}
