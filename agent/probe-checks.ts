// One attempt of each kind of readiness probe. Each resolves when the probe passes and rejects with
// what was seen when it does not; each stops its work when the signal aborts (the attempt's timeout
// or the boot deadline), so that no socket, request or child process outlives the attempt.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { ProbeConfig } from './config-schema.js';

/** Whether a systemd unit is active; agent/systemd.ts provides the real one. */
export type UnitActive = (unit: string, signal?: AbortSignal) => Promise<boolean>;

export interface CheckContext {
  /** Prefix for file probes, like every file the agent reads. */
  root: string;
  unitActive?: UnitActive;
}

type Probe<T extends ProbeConfig['type']> = Extract<ProbeConfig, { type: T }>;

/** The last bytes of a failing command's stderr that go into its error. */
const StderrTailBytes = 300;

export function checkProbe(
  probe: ProbeConfig,
  ctx: CheckContext,
  signal: AbortSignal,
): Promise<void> {
  switch (probe.type) {
    case 'http':
      return checkHttp(probe, signal);
    case 'tcp':
      return checkTcp(probe, signal);
    case 'command':
      return checkCommand(probe, signal);
    case 'systemd':
      return checkUnit(probe, ctx.unitActive, signal);
    case 'file':
      return checkFile(probe, ctx.root);
  }
}

/** Passes on exactly the expected status; redirects are not followed, so a 301 is a 301. */
function checkHttp(probe: Probe<'http'>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(probe.url);
    const client = url.protocol === 'https:' ? https : http;
    // agent: false: a fresh connection per attempt, closed after it, nothing pooled past the probe.
    const request = client.get(
      url,
      { signal, agent: false, headers: { 'user-agent': 'bootwatch-agent' } },
      (response) => {
        const status = response.statusCode;
        // Only the status matters; the body (maybe a stream that never ends) is not read.
        response.destroy();
        if (status === probe.expect_status) resolve();
        else reject(new Error(`HTTP ${status}, expected ${probe.expect_status}`));
      },
    );
    request.on('error', reject);
  });
}

function checkTcp(probe: Probe<'tcp'>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: probe.host, port: probe.port });
    const done = (error?: Error) => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => done(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done());
    socket.once('error', (e) => done(e));
  });
}

/**
 * Runs argv without a shell and passes on exit status 0. The child leads its own process group
 * so that an abort kills what it started too (`sh -c 'curl ...'` leaves no curl behind).
 */
function checkCommand(probe: Probe<'command'>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const [program, ...args] = probe.command as [string, ...string[]];
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-StderrTailBytes);
    });
    const onAbort = () => {
      killGroup(child.pid);
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    child.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`cannot run ${program}: ${errorMessage(e)}`));
    });
    // 'exit', not 'close': a background grandchild may hold stderr open long after the command.
    child.once('exit', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort);
      child.stderr.destroy();
      const tail = stderr.trim() ? `: ${stderr.trim()}` : '';
      if (code === 0) resolve();
      else if (code !== null) reject(new Error(`${program} exited with status ${code}${tail}`));
      else reject(new Error(`${program} was killed by ${killedBy}${tail}`));
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone (ESRCH): nothing left to stop.
  }
}

async function checkUnit(
  probe: Probe<'systemd'>,
  unitActive: UnitActive | undefined,
  signal: AbortSignal,
): Promise<void> {
  if (!unitActive) throw new Error('this agent was started without a systemd unit checker');
  if (!(await unitActive(probe.unit, signal))) throw new Error(`unit ${probe.unit} is not active`);
}

async function checkFile(probe: Probe<'file'>, root: string): Promise<void> {
  const file = join(root, probe.path);
  try {
    await access(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${file} does not exist` : `${file}: ${errorMessage(e)}`);
  }
}
