/**
 * Reads what a statement does, from its comment-free `code` (see sql-split.ts): whether it is
 * transaction control (skipped by the dry-run, which owns the transaction), whether it cannot run
 * inside a transaction block at all, and which data it destroys.
 */
import { splitTopLevel } from './sql-split.js';

/** BEGIN / COMMIT wrappers that migration tools let scripts carry; the dry-run skips them. */
export function isTransactionControl(code: string): boolean {
  return /^(BEGIN(\s+(WORK|TRANSACTION|ISOLATION\b.*|READ\b.*))?|START\s+TRANSACTION\b.*|COMMIT(\s+(WORK|TRANSACTION))?|END(\s+(WORK|TRANSACTION))?)$/i.test(
    code,
  );
}

const NON_TRANSACTIONAL: Array<[RegExp, string]> = [
  [/^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\b/i, 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block'],
  [/^DROP\s+INDEX\s+CONCURRENTLY\b/i, 'DROP INDEX CONCURRENTLY cannot run inside a transaction block'],
  [/^REINDEX\b.*\bCONCURRENTLY\b/i, 'REINDEX CONCURRENTLY cannot run inside a transaction block'],
  [/^REINDEX\s+(\(.*\)\s*)?(SYSTEM|DATABASE)\b/i, 'REINDEX DATABASE/SYSTEM cannot run inside a transaction block'],
  [/^ALTER\s+TABLE\b.*\bDETACH\s+PARTITION\b.*\bCONCURRENTLY\b/i, 'DETACH PARTITION CONCURRENTLY cannot run inside a transaction block'],
  [/^VACUUM\b/i, 'VACUUM cannot run inside a transaction block'],
  [/^(CREATE|DROP)\s+DATABASE\b/i, 'CREATE/DROP DATABASE cannot run inside a transaction block'],
  [/^ALTER\s+DATABASE\b.*\bSET\s+TABLESPACE\b/i, 'ALTER DATABASE … SET TABLESPACE cannot run inside a transaction block'],
  [/^(CREATE|DROP)\s+TABLESPACE\b/i, 'CREATE/DROP TABLESPACE cannot run inside a transaction block'],
  [/^ALTER\s+SYSTEM\b/i, 'ALTER SYSTEM cannot run inside a transaction block'],
  [/^CLUSTER\s*(VERBOSE)?$/i, 'CLUSTER without a table cannot run inside a transaction block'],
  [/^DISCARD\s+ALL\b/i, 'DISCARD ALL cannot run inside a transaction block'],
  [/^(CREATE|DROP)\s+SUBSCRIPTION\b/i, 'CREATE/DROP SUBSCRIPTION (with a replication slot) cannot run inside a transaction block'],
  [
    /^(PREPARE\s+TRANSACTION|COMMIT\s+PREPARED|ROLLBACK\s+PREPARED)\b/i,
    'two-phase commit statements cannot run inside the dry-run transaction',
  ],
  [/^(ROLLBACK|ABORT)\b/i, 'a ROLLBACK inside the script would end the dry-run transaction'],
];

/**
 * Why a statement cannot run in the dry-run's transaction, or undefined when it can.
 * `serverVersion` is server_version_num: ALTER TYPE … ADD VALUE runs in a transaction block since
 * PostgreSQL 12 (the new value just cannot be used before commit).
 */
export function nonTransactionalReason(code: string, serverVersion = 120000): string | undefined {
  if (serverVersion < 120000 && /^ALTER\s+TYPE\b.*\bADD\s+VALUE\b/i.test(code))
    return 'ALTER TYPE … ADD VALUE cannot run inside a transaction block before PostgreSQL 12';
  for (const [re, reason] of NON_TRANSACTIONAL) if (re.test(code)) return reason;
  return undefined;
}

export interface QualifiedName {
  schema?: string;
  name: string;
}

/**
 * Reads one (possibly schema-qualified, possibly quoted) name at the start of `s`. Unquoted names
 * fold to lower case, as the server folds them. Returns the name and the rest of the text.
 */
export function readQualifiedName(s: string): { name: QualifiedName; rest: string } | undefined {
  const parts: string[] = [];
  let rest = s.trimStart();
  for (;;) {
    let part: string;
    if (rest.startsWith('"')) {
      let j = 1;
      part = '';
      while (j < rest.length) {
        if (rest[j] === '"') {
          if (rest[j + 1] === '"') {
            part += '"';
            j += 2;
            continue;
          }
          break;
        }
        part += rest[j++];
      }
      rest = rest.slice(j + 1);
    } else {
      const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(rest);
      if (!m) return undefined;
      part = m[0].toLowerCase();
      rest = rest.slice(m[0].length);
    }
    parts.push(part);
    if (rest.startsWith('.')) rest = rest.slice(1);
    else break;
  }
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return { name: schema ? { schema, name } : { name }, rest: rest.trimStart() };
}

export type DestructiveAction = 'drop-table' | 'truncate' | 'delete' | 'drop-column' | 'drop-schema';

export interface DestructiveTarget {
  action: DestructiveAction;
  /** Absent when unqualified: resolved against the migration schema. For drop-schema, the schema. */
  schema?: string;
  /** The table; for drop-schema, empty. */
  table: string;
  column?: string;
  /** DELETE … WHERE <where> (as written, literals intact), to count the rows it matches. */
  where?: string;
  /** DELETE with USING, or a WHERE we cannot reuse: count the whole table as an upper bound. */
  upperBoundOnly?: boolean;
  /** The alias a DELETE gives its table, needed to reuse its WHERE. */
  alias?: string;
}

const DELETE_STOP_WORDS = new Set(['USING', 'WHERE', 'RETURNING']);

/** The data a statement destroys (tables dropped, truncated, deleted from; columns dropped). */
export function destructiveTargets(code: string): DestructiveTarget[] {
  let m: RegExpExecArray | null;
  if ((m = /^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?/i.exec(code))) {
    const list = code.slice(m[0].length).replace(/\s+(CASCADE|RESTRICT)\s*$/i, '');
    return splitTopLevel(list, ',').flatMap((item) => {
      const r = readQualifiedName(item);
      return r ? [{ action: 'drop-table' as const, ...withSchema(r.name), table: r.name.name }] : [];
    });
  }
  if ((m = /^TRUNCATE\s+(TABLE\s+)?/i.exec(code))) {
    const list = code.slice(m[0].length).replace(/\s+((RESTART|CONTINUE)\s+IDENTITY|CASCADE|RESTRICT)(\s+.*)?$/i, '');
    return splitTopLevel(list, ',').flatMap((item) => {
      const r = readQualifiedName(item.replace(/^ONLY\s+/i, ''));
      return r ? [{ action: 'truncate' as const, ...withSchema(r.name), table: r.name.name }] : [];
    });
  }
  if ((m = /^DELETE\s+FROM\s+(ONLY\s+)?/i.exec(code))) {
    const r = readQualifiedName(code.slice(m[0].length));
    if (!r) return [];
    let rest = r.rest.replace(/^\*\s*/, '');
    let alias: string | undefined;
    const aliasMatch = /^(AS\s+)?([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")(\s+|$)/i.exec(rest);
    if (aliasMatch && !DELETE_STOP_WORDS.has(aliasMatch[2].toUpperCase())) {
      alias = aliasMatch[2];
      rest = rest.slice(aliasMatch[0].length);
    }
    const target: DestructiveTarget = { action: 'delete', ...withSchema(r.name), table: r.name.name, ...(alias ? { alias } : {}) };
    if (/^USING\b/i.test(rest)) return [{ ...target, upperBoundOnly: true }];
    const where = /^WHERE\s+([\s\S]*)$/i.exec(rest);
    if (where) {
      const cond = where[1].replace(/\s+RETURNING\s+[\s\S]*$/i, '').trim();
      return [/\bWHERE\s+CURRENT\s+OF\b/i.test(rest) ? { ...target, upperBoundOnly: true } : { ...target, where: cond }];
    }
    return [target];
  }
  if ((m = /^ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?/i.exec(code))) {
    const r = readQualifiedName(code.slice(m[0].length));
    if (!r) return [];
    const actions = splitTopLevel(r.rest.replace(/^\*\s*/, ''), ',');
    const out: DestructiveTarget[] = [];
    for (const action of actions) {
      const d = /^DROP\s+(COLUMN\s+)?(IF\s+EXISTS\s+)?/i.exec(action);
      if (!d) continue;
      if (!d[1] && /^(CONSTRAINT)\b/i.test(action.slice(d[0].length))) continue;
      const col = readQualifiedName(action.slice(d[0].length));
      if (col) out.push({ action: 'drop-column', ...withSchema(r.name), table: r.name.name, column: col.name.name });
    }
    return out;
  }
  if ((m = /^DROP\s+SCHEMA\s+(IF\s+EXISTS\s+)?/i.exec(code)) && /\sCASCADE\s*$/i.test(code)) {
    const list = code.slice(m[0].length).replace(/\s+CASCADE\s*$/i, '');
    return splitTopLevel(list, ',').flatMap((item) => {
      const r = readQualifiedName(item);
      return r ? [{ action: 'drop-schema' as const, schema: r.name.name, table: '' }] : [];
    });
  }
  return [];
}

function withSchema(n: QualifiedName): { schema?: string } {
  return n.schema ? { schema: n.schema } : {};
}
