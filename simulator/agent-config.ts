// The configuration every simulated agent loads (through loadAgentConfig, like a real one, with
// the per-instance root, IMDS, spool and collector from the environment). One readiness probe: a
// file the simulated application writes once it serves. Its interval is short because a probe
// that never passes is run just before the deadline (see ProbeLeadMs) and waits in real time.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration } from '../shared/duration.js';
import { ReadyMarker } from './machine.js';

/** How long before its deadline an agent whose probe never passes starts probing: two attempts. */
export const ProbeLeadMs = 150;

export function agentConfigYaml(deadlineMs: number): string {
  return [
    '# Written by bootwatch simulate for its simulated instances.',
    `deadline: ${formatDuration(deadlineMs)}`,
    'imds:',
    '  timeout: 1s',
    '  budget: 5s',
    'collector:',
    '  timeout: 10s',
    'retry:',
    '  initial_backoff: 250ms',
    '  max_backoff: 5s',
    '  max_attempts_per_run: 5',
    'probes:',
    '  - name: app-ready',
    '    type: file',
    `    path: ${ReadyMarker}`,
    '    interval: 100ms',
    '    timeout: 100ms',
    '',
  ].join('\n');
}

/** Writes the agents' configuration into `dir`; returns its path. */
export function writeAgentConfig(dir: string, deadlineMs: number): string {
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, agentConfigYaml(deadlineMs));
  return file;
}
