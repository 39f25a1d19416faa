// Creates a folder and its missing parents, failing on the first one that cannot be made. Node's
// `mkdirSync(path, { recursive: true })` retries forever when mkdir answers ENOENT under a parent
// that exists, which is what procfs does: `/proc` exists, `mkdir /proc/bootwatch` says ENOENT, so
// Node makes the parent again (it exists), tries the child again, and spins at full CPU with no
// output. Here each missing folder gets exactly one mkdir, top-down, and its error is the answer.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Throws the first error of stat or mkdir (ENOENT, ENOTDIR, EACCES, EROFS ...) as Node gives it. */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  let dir = resolve(path);
  for (;;) {
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw notADirectory(dir);
      break;
    }
    missing.push(dir);
    const parent = dirname(dir);
    if (parent === dir) break; // the root itself is missing: mkdir will say why
    dir = parent;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (e) {
      // Another process made it meanwhile: fine, as long as it is a folder.
      const made = statSync(folder, { throwIfNoEntry: false });
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && made?.isDirectory()) continue;
      throw e;
    }
  }
}

function notADirectory(path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, mkdir '${path}'`);
  e.code = 'ENOTDIR';
  e.path = path;
  return e;
}
