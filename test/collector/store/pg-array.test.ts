// Arrays go to PostgreSQL as literals built by arrayLiteral (pg-tx.ts); PostgreSQL must read back
// exactly the values given, whatever the strings hold.
import pg from 'pg';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { arrayLiteral } from '../../../collector/store/pg-tx.js';
import { describeStores } from '../../support/stores.js';

describeStores(
  'store: arrays sent to PostgreSQL',
  (harness) => {
    it('reads back every string, number, boolean and null as given', async () => {
      const client = new pg.Client({ connectionString: harness().url });
      await client.connect();
      try {
        const tricky = [
          '',
          'NULL',
          'null',
          'a,b',
          '{x}',
          ' spaced ',
          'q"uote',
          'back\\slash',
          '\\"',
          'é ☃',
          '{"a":1}',
        ];
        const r = await client.query<{ t: (string | null)[] }>('SELECT $1::text[] AS t', [
          arrayLiteral([...tricky, null]),
        ]);
        expect(r.rows[0]?.t).toEqual([...tricky, null]);
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { maxLength: 20 }),
            fc.array(fc.integer(), { maxLength: 20 }),
            fc.array(fc.double({ noNaN: true }), { maxLength: 20 }),
            fc.array(fc.boolean(), { maxLength: 20 }),
            async (strings, ints, doubles, bools) => {
              const clean = strings.map((s) => (s === null ? null : s.replaceAll('\u0000', '')));
              const back = await client.query<{
                t: (string | null)[];
                i: string[];
                d: number[];
                b: boolean[];
              }>(
                'SELECT $1::text[] AS t, $2::bigint[] AS i, $3::float8[] AS d, $4::boolean[] AS b',
                [
                  arrayLiteral(clean),
                  arrayLiteral(ints),
                  arrayLiteral(doubles),
                  arrayLiteral(bools),
                ],
              );
              const row = back.rows[0]!;
              expect(row.t).toEqual(clean);
              expect(row.i.map(Number)).toEqual(ints);
              expect(row.d).toEqual(doubles.map((x) => (Object.is(x, -0) ? 0 : x)));
              expect(row.b).toEqual(bools);
            },
          ),
          { numRuns: 50 },
        );
      } finally {
        await client.end();
      }
    });
  },
  ['postgres'],
);
