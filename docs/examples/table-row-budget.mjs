// A complete third-party check, loaded with `dbcheck audit --plugin docs/examples/table-row-budget.mjs`.
// It warns when a table grows past a row budget. test/e2e/writing-checks.test.ts loads this very file.
import { addStat, defineCheck, perName, z } from 'dbcheck';

const options = z
  .object({
    tables: z
      .array(z.object({ schema: z.string().default('public'), table: z.string(), maxRows: z.number().int().positive() }).strict())
      .min(1),
  })
  .strict();

export default defineCheck({
  meta: {
    id: 'example/table-row-budget',
    title: 'Tables within their row budget',
    requires: ['postgres'],
    options,
    codes: {
      'over-budget': { severity: 'warn', message: (d) => `${d.table} has ${d.rows} rows, budget ${d.maxRows}` },
      'missing-table': { severity: 'error', message: (d) => `${d.table} does not exist` },
    },
    // What the report's stats hold, and how `dbcheck merge` would combine them across shards.
    stats: {
      tablesCounted: 'sum',
      rows: perName('text'), // per table; text, as a bigint may not fit a JSON number
    },
  },
  async run(ctx) {
    const pg = ctx.stores.postgres;
    for (const t of ctx.options.tables) {
      const name = `${t.schema}.${t.table}`;
      // to_regclass takes the name as a bound parameter: config values never become SQL text.
      const { rows: found } = await pg.query('SELECT to_regclass($1) IS NOT NULL AS ok', [pg.quoteTable(t.table, t.schema)], {
        signal: ctx.signal,
      });
      if (!found[0].ok) {
        ctx.report({ code: 'missing-table', subject: { store: 'postgres', object: name }, data: { table: name } });
        continue;
      }
      const { rows } = await pg.query(`SELECT count(*)::bigint AS n FROM ${pg.quoteTable(t.table, t.schema)}`, [], { signal: ctx.signal });
      const n = BigInt(rows[0].n);
      addStat(ctx.stats, 'tablesCounted');
      (ctx.stats.rows ??= {})[name] = n.toString();
      if (n > BigInt(t.maxRows)) {
        ctx.report({
          code: 'over-budget',
          subject: { store: 'postgres', object: name },
          data: { table: name, rows: n.toString(), maxRows: t.maxRows },
        });
      }
    }
  },
});
