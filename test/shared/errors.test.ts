import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BootwatchError, ErrorCodes, isBootwatchError } from '../../shared/errors.js';

describe('error list', () => {
  it('documents every code in docs/errors.md with a how-to-solve column', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ErrorCodes)) {
      expect(doc, `docs/errors.md misses ${code}`).toMatch(
        new RegExp(`^\\|\\s*${code}\\s*\\|[^\\n]+\\|[^\\n]+\\|[^\\n]+\\|`, 'm'),
      );
    }
  });

  it('carries code and status', () => {
    const e = new BootwatchError('BW_BODY_TOO_LARGE', 'body of 9 MiB is over the 4 MiB limit');
    expect(e.statusCode).toBe(413);
    expect(isBootwatchError(e, 'BW_BODY_TOO_LARGE')).toBe(true);
    expect(isBootwatchError(e, 'BW_OTLP_DECODE')).toBe(false);
  });
});
