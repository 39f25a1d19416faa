import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirs } from '../../shared/make-dirs.js';

describe('makeDirs', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bw-mkdirs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates missing parents and accepts folders that exist', () => {
    const deep = join(dir, 'a', 'b', 'c');
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeDirs(deep)).not.toThrow();
    expect(() => makeDirs(dir)).not.toThrow();
  });

  it('fails with ENOTDIR when a parent is a file', () => {
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => makeDirs(join(dir, 'file', 'sub'))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
    expect(() => makeDirs(join(dir, 'file'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  // Node's recursive mkdir spins forever here (procfs answers ENOENT under /proc, which exists).
  it.runIf(existsSync('/proc/self'))('fails at once under /proc instead of spinning', () => {
    expect(() => makeDirs('/proc/bootwatch-test/store')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});
