// Where the built-in scenarios are: simulator/scenarios/ beside this file in a checkout, or two
// levels up from dist/simulator/ in a build (tsc does not copy YAML). `--scenario rollout` names
// a built-in one; anything with a slash or a .yaml/.yml suffix is a path.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BootwatchError } from '../shared/errors.js';

export function builtInScenarioDir(): string {
  const candidates = [
    new URL('./scenarios/', import.meta.url),
    new URL('../../simulator/scenarios/', import.meta.url),
  ];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(join(dir, 'demo.yaml'))) return dir;
  }
  return fileURLToPath(candidates[0]!);
}

export function builtInScenarios(): string[] {
  try {
    return readdirSync(builtInScenarioDir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

/** A path for `--scenario`: a built-in name, or a file path as given. */
export function resolveScenario(arg: string): string {
  if (/[\\/]/.test(arg) || /\.ya?ml$/i.test(arg)) return arg;
  const file = join(builtInScenarioDir(), `${arg}.yaml`);
  if (existsSync(file)) return file;
  throw new BootwatchError(
    'BW_CONFIG_INVALID',
    `--scenario: expected a file or a built-in scenario (${builtInScenarios().join(', ')}), got '${arg}'`,
  );
}
