/**
 * Postgres child rows whose parent row is gone, for relations no validated foreign key enforces:
 * an anti-join (NOT EXISTS) streamed with COPY, one finding per missing parent value with its number
 * of child rows and the first few child ids. Key types are matched by value (checks/lib/key-types.ts). And, on request, the `*_id` columns no validated foreign key covers.
 */
import { configError, type PostgresReader } from '../../src/plugin.js';
import { andSql, describeColumns, postgresKeyBatches, tableLabel } from '../lib/id-postgres.js';
import { keyTypeProblem, postgresKeyType, sqlAsParentKey } from '../lib/key-types.js';
import { shardKeySql, shardSql } from '../lib/shard.js';
import type { PostgresRelation } from './options.js';
import { type OrphanScanContext, relationStats } from './stats.js';

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

/** Child ids a finding carries (11.19): enough to start a cleanup, bounded however many rows there are. */
export const MAX_CHILD_IDS = 5;

/** How child rows are named in findings: the primary key (text; composite as a JSON array), else ctid. */
async function childIdSql(
  pg: PostgresReader,
  r: PostgresRelation,
  signal: AbortSignal,
): Promise<{ columns: string[]; select: string; order: string }> {
  const { rows } = await pg.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [pg.quoteTable(r.child.table, r.child.schema)],
    { signal },
  );
  if (rows.length === 0) return { columns: ['ctid'], select: 'child.ctid::text', order: 'child.ctid' };
  const idents = rows.map((row) => `child.${pg.quoteIdent(row.name)}`);
  const select = idents.length === 1 ? `${idents[0]}::text` : `json_build_array(${idents.join(', ')})::text`;
  return { columns: rows.map((row) => row.name), select, order: idents.join(', ') };
}

export async function scanPostgresRelation(ctx: OrphanScanContext, r: PostgresRelation): Promise<void> {
  const pg = ctx.stores.postgres;
  const childLabel = tableLabel(r.child);
  const parentLabel = tableLabel(r.parent);
  const name = r.name;
  const stats = relationStats(ctx, name, 'postgres');
  const childColumn = (await describeColumns(pg, r.child, [r.child.column], ctx.signal)).get(r.child.column)!;
  const parentColumn = (await describeColumns(pg, r.parent, [r.parent.column], ctx.signal)).get(r.parent.column)!;
  // Preflight refuses incompatible types first; this keeps a direct call from comparing them anyway.
  const childKey = postgresKeyType(childColumn.type);
  const parentKey = postgresKeyType(parentColumn.type);
  const problem = keyTypeProblem(
    { label: `Postgres column ${childLabel}.${childColumn.name}`, key: childKey },
    { label: `Postgres column ${parentLabel}.${parentColumn.name}`, key: parentKey },
  );
  if (problem) throw configError(`relation ${name}: ${problem}`);
  const constraint = await foreignKey(pg, r, ctx.signal);
  stats.set('foreignKey', constraint);
  if (constraint === 'valid' && !r.parent.where && !r.child.where) {
    stats.set('skipped', 'a validated foreign key enforces this relation');
    return;
  }
  const ids = await childIdSql(pg, r, ctx.signal);
  const c = `child.${pg.quoteIdent(r.child.column)}`;
  const p = `parent.${pg.quoteIdent(r.parent.column)}`;
  // The child value read as a parent key (NULL when it cannot be one: then it has no parent), so
  // varchar children of a bigint parent compare by value and the parent's index serves the lookup.
  const asParent = sqlAsParentKey(c, childKey, parentKey);
  // The child rows this relation judges: a value set, the user's where, and --shard (the hash of the
  // value's text in the WHERE, so each shard reads only its own rows).
  const childRows = `FROM ${pg.quoteTable(r.child.table, r.child.schema)} AS child WHERE ${andSql(`${c} IS NOT NULL`, r.child.where, shardSql(ctx.shard, shardKeySql(childColumn.type, c)))}`;
  // Unqualified names in each user `where` resolve to the nearest table: child outside, parent inside.
  // One line per orphan child row, grouped here: exact counts and the first ids, in O(1) memory.
  const sql =
    `SELECT ${c}::text, ${ids.select} ${childRows} AND NOT EXISTS (` +
    `SELECT 1 FROM ${pg.quoteTable(r.parent.table, r.parent.schema)} AS parent WHERE ${andSql(`${p} = ${asParent}`, r.parent.where)}) ` +
    `ORDER BY ${c}, ${ids.order}`;
  let current: { value: string; rows: number; childIds: string[] } | undefined;
  const report = () => {
    if (!current) return;
    const { value, rows, childIds } = current;
    stats.compared(value);
    stats.add('orphanValues', 1);
    stats.add('orphanRows', rows);
    ctx.report({
      code: 'orphan-row',
      subject: { store: 'postgres', object: `${childLabel}.${r.child.column}`, key: value },
      data: {
        relation: name,
        child: childLabel,
        column: r.child.column,
        value,
        rows,
        parent: `${parentLabel}.${r.parent.column}`,
        foreignKey: constraint,
        childIdColumns: ids.columns,
        childIds,
      },
    });
  };
  await pg.withSnapshot(
    async (session) => {
      await session.query(`SET LOCAL statement_timeout = ${Math.round(ctx.options.scanStatementTimeout)}`, [], { signal: ctx.signal });
      // The consistency ratio's denominator, in the same snapshot as the orphans: the anti-join
      // below returns only orphans, so the rows judged are counted apart (one more pass, no rows sent).
      const counted = await session.query<{ n: string }>(`SELECT count(*) AS n ${childRows}`, [], { signal: ctx.signal });
      stats.set('childRows', Number(counted.rows[0].n));
      for await (const batch of postgresKeyBatches(session, sql, 2, ctx.signal)) {
        for (let i = 0; i < batch.keys.length; i++) {
          const value = batch.keys[i];
          if (current?.value !== value) {
            report();
            current = { value, rows: 0, childIds: [] };
          }
          current.rows++;
          if (current.childIds.length < MAX_CHILD_IDS) current.childIds.push(batch.extra[0][i]!);
        }
      }
      report();
    },
    { signal: ctx.signal },
  );
}

/** `*_id` columns of ordinary tables with no validated single-column foreign key, not declared yet. */
export async function suggestRelations(ctx: OrphanScanContext): Promise<void> {
  const pg = ctx.stores.postgres;
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
