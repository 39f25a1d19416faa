// Migration 5's function is built from the same pieces as the statements it runs
// (pg-write-boots.ts, pg-boot-sql.ts), so a change to those pieces would change the text of a
// released migration, which a database that applied it never sees again. Its text is pinned:
// a change to it is a new migration (a CREATE OR REPLACE of the function), never an edit.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { PgMigrations } from '../../../collector/store/pg-schema.js';

it('keeps the text of migration 5 as released', () => {
  const m = PgMigrations.find((x) => x.version === 5);
  const digest = createHash('sha256')
    .update(m?.statements.join('\n;\n') ?? '')
    .digest('hex');
  expect(digest).toBe('6c6a138708a7f8c909e94e9ef9ae95b8ab56557458d0e9dc4f42c12ff91a1235');
});
