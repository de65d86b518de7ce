/**
 * Postgres child rows whose parent row is gone, for relations no validated foreign key enforces:
 * an anti-join (NOT EXISTS) streamed with COPY, one line per missing parent value with its number
 * of child rows. And, on request, the `*_id` columns no validated foreign key covers.
 */
import type { CheckContext, PostgresReader } from '../../src/plugin.js';
import { andSql, describeColumns, postgresKeyBatches, tableLabel } from '../lib/id-postgres.js';
import type { Options, PostgresRelation } from './options.js';
import { relationStats } from './stats.js';

type Constraint = 'valid' | 'not-valid' | 'none';

/** The strongest foreign key from child.column to the parent table, if any. */
async function foreignKey(pg: PostgresReader, r: PostgresRelation, signal: AbortSignal): Promise<Constraint> {
  const { rows } = await pg.query<{ validated: boolean }>(
    `SELECT k.convalidated AS validated
       FROM pg_constraint k
       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      WHERE k.contype = 'f' AND cardinality(k.conkey) = 1
        AND k.conrelid = to_regclass($1) AND k.confrelid = to_regclass($2) AND a.attname = $3`,
    [pg.quoteTable(r.child.table, r.child.schema), pg.quoteTable(r.parent.table, r.parent.schema), r.child.column],
    { signal },
  );
  if (rows.some((row) => row.validated)) return 'valid';
  return rows.length ? 'not-valid' : 'none';
}

export async function scanPostgresRelation(ctx: CheckContext<Options>, r: PostgresRelation): Promise<void> {
  const pg = ctx.stores.postgres!;
  const childLabel = tableLabel(r.child);
  const parentLabel = tableLabel(r.parent);
  const name = r.name ?? `${childLabel}.${r.child.column} -> ${parentLabel}.${r.parent.column}`;
  await describeColumns(pg, r.child, [r.child.column], ctx.signal);
  await describeColumns(pg, r.parent, [r.parent.column], ctx.signal);
  const stats = relationStats(ctx, name, 'postgres');
  const constraint = await foreignKey(pg, r, ctx.signal);
  stats.set('foreignKey', constraint);
  if (constraint === 'valid' && !r.parent.where && !r.child.where) {
    stats.set('skipped', 'a validated foreign key enforces this relation');
    return;
  }
  const c = pg.quoteIdent(r.child.column);
  const p = pg.quoteIdent(r.parent.column);
  // Unqualified names in each user `where` resolve to the nearest table: child outside, parent inside.
  const sql =
    `SELECT child.${c}::text, count(*) FROM ${pg.quoteTable(r.child.table, r.child.schema)} AS child ` +
    `WHERE ${andSql(`child.${c} IS NOT NULL`, r.child.where)} AND NOT EXISTS (` +
    `SELECT 1 FROM ${pg.quoteTable(r.parent.table, r.parent.schema)} AS parent WHERE ${andSql(`parent.${p} = child.${c}`, r.parent.where)}) ` +
    `GROUP BY child.${c}`;
  await pg.withSnapshot(
    async (session) => {
      await session.query(`SET LOCAL statement_timeout = ${Math.round(ctx.options.scanStatementTimeout)}`, [], { signal: ctx.signal });
      for await (const batch of postgresKeyBatches(session, sql, 2, ctx.signal)) {
        for (let i = 0; i < batch.keys.length; i++) {
          const value = batch.keys[i];
          const rows = Number(batch.extra[0][i]);
          stats.compared(value);
          stats.add('orphanValues', 1);
          stats.add('orphanRows', rows);
          ctx.report({
            code: 'orphan-row',
            subject: { store: 'postgres', object: `${childLabel}.${r.child.column}`, key: value },
            data: { relation: name, child: childLabel, column: r.child.column, value, rows, parent: `${parentLabel}.${r.parent.column}`, foreignKey: constraint },
          });
        }
      }
    },
    { signal: ctx.signal },
  );
}

/** `*_id` columns of ordinary tables with no validated single-column foreign key, not declared yet. */
export async function suggestRelations(ctx: CheckContext<Options>): Promise<void> {
  const pg = ctx.stores.postgres!;
  const { rows } = await pg.query<{ schema: string; table: string; column: string; not_valid: boolean; parent: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
            EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f' AND a.attnum = ANY (k.conkey)) AS not_valid,
            (SELECT t.relname FROM pg_class t
              WHERE t.relnamespace = n.oid AND t.relkind IN ('r', 'p')
                AND t.relname IN (left(a.attname, -3), left(a.attname, -3) || 's', left(a.attname, -3) || 'es')
              ORDER BY length(t.relname) LIMIT 1) AS parent
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY ($1::text[])
        AND a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '%\\_id'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.convalidated AND a.attnum = ANY (k.conkey))
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p' AND k.conkey = ARRAY[a.attnum])
      ORDER BY 1, 2, 3`,
    [ctx.options.suggestSchemas],
    { signal: ctx.signal },
  );
  const declared = new Set(ctx.options.postgres.map((r) => `${r.child.schema ?? 'public'}.${r.child.table}.${r.child.column}`));
  let listed = 0;
  for (const row of rows) {
    if (declared.has(`${row.schema}.${row.table}.${row.column}`)) continue;
    listed++;
    ctx.report({
      code: 'unconstrained-relation',
      subject: { store: 'postgres', object: `${row.schema}.${row.table}`, key: row.column },
      data: {
        schema: row.schema,
        table: row.table,
        column: row.column,
        foreignKey: row.not_valid ? 'not-valid' : 'none',
        ...(row.parent ? { candidateParent: `${row.schema}.${row.parent}` } : {}),
      },
    });
  }
  ctx.stats.unconstrainedColumns = listed;
}
