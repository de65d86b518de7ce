/**
 * Lock-aware lint: which statements of a migration take a lock that blocks the application, or
 * rewrite or scan a whole table while holding it. Linters that read only the SQL (squawk, Atlas
 * lint, strong_migrations) cannot tell a rewrite of an empty table from one of 48 GB; here the
 * verdict comes with the table's live size from the catalog, so only the costly ones are findings.
 */
import { readQualifiedName } from './sql-classify.js';
import { splitTopLevel } from './sql-split.js';

export interface LockHazard {
  /** Table the statement locks (schema absent when unqualified). */
  schema?: string;
  table: string;
  lock: 'ACCESS EXCLUSIVE' | 'SHARE' | 'SHARE ROW EXCLUSIVE';
  /** What the server does under the lock: rewrite the table, or scan it (to validate, to build an index). */
  work: 'rewrite' | 'scan';
  what: string;
  /** The way to do it without holding the lock for the whole pass. */
  instead: string;
}

/** Functions whose value differs per row: as an ADD COLUMN default they force a rewrite. */
const VOLATILE_DEFAULT = /\bDEFAULT\s+[^,]*\b(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval)\s*\(/i;

export function lockHazards(code: string): LockHazard[] {
  let m: RegExpExecArray | null;
  if ((m = /^CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b)(IF\s+NOT\s+EXISTS\s+)?/i.exec(code))) {
    const on = /\bON\s+(ONLY\s+)?/i.exec(code.slice(m[0].length));
    const t = on ? readQualifiedName(code.slice(m[0].length + on.index + on[0].length)) : undefined;
    return t
      ? [
          {
            ...t.name,
            table: t.name.name,
            lock: 'SHARE',
            work: 'scan',
            what: 'CREATE INDEX without CONCURRENTLY blocks writes while it builds',
            instead: 'CREATE INDEX CONCURRENTLY',
          },
        ]
      : [];
  }
  if ((m = /^(VACUUM\s+(\(.*FULL.*\)|FULL)|CLUSTER)\s+(VERBOSE\s+)?/i.exec(code))) {
    const t = readQualifiedName(code.slice(m[0].length));
    return t
      ? [
          {
            ...t.name,
            table: t.name.name,
            lock: 'ACCESS EXCLUSIVE',
            work: 'rewrite',
            what: `${m[1].split(/\s/)[0].toUpperCase()} rewrites the table`,
            instead: 'pg_repack, or a new table filled in batches',
          },
        ]
      : [];
  }
  if (!(m = /^ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?/i.exec(code))) return [];
  const t = readQualifiedName(code.slice(m[0].length));
  if (!t) return [];
  const base = { ...t.name, table: t.name.name };
  const out: LockHazard[] = [];
  for (const action of splitTopLevel(t.rest.replace(/^\*\s*/, ''), ',')) {
    if (/^ALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b/i.test(action)) {
      out.push({
        ...base,
        lock: 'ACCESS EXCLUSIVE',
        work: 'rewrite',
        what: 'ALTER COLUMN … TYPE rewrites the table (unless the types are binary-compatible)',
        instead: 'a new column, backfilled in batches, then swapped',
      });
    } else if (/^ALTER\s+(COLUMN\s+)?\S+\s+SET\s+NOT\s+NULL\b/i.test(action)) {
      out.push({
        ...base,
        lock: 'ACCESS EXCLUSIVE',
        work: 'scan',
        what: 'SET NOT NULL scans the whole table under the lock',
        instead:
          'ADD CONSTRAINT … CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ skips the scan)',
      });
    } else if (/^ADD\s+(COLUMN\s+)?/i.test(action) && !/^ADD\s+(CONSTRAINT|PRIMARY|UNIQUE|FOREIGN|CHECK|EXCLUDE)\b/i.test(action)) {
      if (VOLATILE_DEFAULT.test(action) || /\b(big|small)?serial\b/i.test(action) || /\bGENERATED\s+ALWAYS\s+AS\s*\(/i.test(action)) {
        out.push({
          ...base,
          lock: 'ACCESS EXCLUSIVE',
          work: 'rewrite',
          what: 'ADD COLUMN with a volatile default (or serial, or a stored generated column) rewrites the table',
          instead: 'add the column without the default, set the default, backfill in batches',
        });
      }
    } else if (/\bFOREIGN\s+KEY\b|\bREFERENCES\b/i.test(action) && /^ADD\b/i.test(action) && !/\bNOT\s+VALID\b/i.test(action)) {
      out.push({
        ...base,
        lock: 'SHARE ROW EXCLUSIVE',
        work: 'scan',
        what: 'ADD FOREIGN KEY without NOT VALID scans the table to validate it, blocking writes',
        instead: 'ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT',
      });
    } else if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?CHECK\b/i.test(action) && !/\bNOT\s+VALID\b/i.test(action)) {
      out.push({
        ...base,
        lock: 'ACCESS EXCLUSIVE',
        work: 'scan',
        what: 'ADD CHECK without NOT VALID scans the table under the lock',
        instead: 'ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT',
      });
    } else if (/^ADD\s+(CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE)\b/i.test(action) && !/\bUSING\s+INDEX\b/i.test(action)) {
      out.push({
        ...base,
        lock: 'ACCESS EXCLUSIVE',
        work: 'scan',
        what: 'ADD PRIMARY KEY/UNIQUE builds its index under the lock',
        instead: 'CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX',
      });
    } else if (/^SET\s+(TABLESPACE|LOGGED|UNLOGGED)\b/i.test(action)) {
      out.push({
        ...base,
        lock: 'ACCESS EXCLUSIVE',
        work: 'rewrite',
        what: `SET ${action.split(/\s+/)[1].toUpperCase()} rewrites the table`,
        instead: 'a maintenance window, or pg_repack',
      });
    }
  }
  return out;
}

/** "48 GB", "312 MB", "8 kB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

/** "310M", "12k", "950". */
export function formatRows(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return String(n);
}
