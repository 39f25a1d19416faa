// The Prometheus tools the alert, dashboard and end-to-end tests run (Debian's prometheus and
// prometheus-alertmanager packages, installed by .ci/run). Under CI=true a missing tool fails the
// tests that need it; locally those tests are skipped, saying so once.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Tool {
  /** Absolute path, or null when not installed. */
  path: string | null;
  /** Skip the tests that need it (missing, and not under CI). */
  skip: boolean;
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** The first of `names` on PATH (Debian names alertmanager `prometheus-alertmanager`). */
export function tool(names: string[], debianPackage: string): Tool {
  const path = names.map(onPath).find((p) => p !== null) ?? null;
  const skip = path === null && process.env.CI !== 'true';
  if (skip) {
    console.warn(
      `skipping tests that need ${names[0]}: not on PATH (apt-get install ${debianPackage})`,
    );
  }
  return { path, skip };
}

/** The path, or a failure naming the package (reached only under CI when the tool is missing). */
export function required(t: Tool, name: string, debianPackage: string): string {
  if (t.path === null) throw new Error(`${name} is not on PATH: apt-get install ${debianPackage}`);
  return t.path;
}
