/**
 * The shard rule (`shardOf`, `shardFilter`, `shardSql`, `isFirstShard`) is src/shard.ts, exported
 * from `dbcheck` for every check; this adds what only the built-in checks need: the SQL key of a
 * Postgres column for `shardSql`, chosen from its type.
 */
import { shardFilter, shardOf, shardSql, isFirstShard } from '../../src/plugin.js';
import { postgresKeyType } from './key-types.js';

export { isFirstShard, shardFilter, shardOf, shardSql };

/** The key of a column of Postgres type `formatType` (format_type() text) for shardSql: integer types by value, others by text. */
export function shardKeySql(formatType: string, column: string): { integer: string } | { text: string } {
  const t = postgresKeyType(formatType);
  return t.kind === 'integer' && t.min !== undefined ? { integer: column } : { text: `(${column})::text` };
}
