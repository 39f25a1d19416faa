// What a CLI command prints, captured per test: console.log lines in `out`, console.error lines in
// `err`, both emptied before each test and the real console given back after it.
import { afterEach, beforeEach, vi } from 'vitest';

export interface Captured {
  out: string[];
  err: string[];
}

export function captureConsole(): Captured {
  const seen: Captured = { out: [], err: [] };
  beforeEach(() => {
    seen.out.length = 0;
    seen.err.length = 0;
    vi.spyOn(console, 'log').mockImplementation(
      (...a: unknown[]) => void seen.out.push(a.join(' ')),
    );
    vi.spyOn(console, 'error').mockImplementation(
      (...a: unknown[]) => void seen.err.push(a.join(' ')),
    );
  });
  afterEach(() => vi.restoreAllMocks());
  return seen;
}
