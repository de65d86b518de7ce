import { describe, expect, it } from 'vitest';
import { formatBytes, formatRows, lockHazards } from '../../checks/rollback-validation/lock-lint.js';
import { splitSqlStatements } from '../../checks/rollback-validation/sql-split.js';

const hazards = (sql: string) =>
  lockHazards(splitSqlStatements(sql)[0].code).map((h) => `${h.schema ? `${h.schema}.` : ''}${h.table} ${h.lock} ${h.work}`);

describe('lock-aware lint: statements that lock and rewrite or scan a table', () => {
  it('flags the classic ones', () => {
    expect(hazards('ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb')).toEqual(['events ACCESS EXCLUSIVE rewrite']);
    expect(hazards('ALTER TABLE app.events ADD COLUMN id2 uuid DEFAULT gen_random_uuid()')).toEqual([
      'app.events ACCESS EXCLUSIVE rewrite',
    ]);
    expect(hazards('ALTER TABLE events ADD COLUMN seq bigserial')).toEqual(['events ACCESS EXCLUSIVE rewrite']);
    expect(hazards('ALTER TABLE events ALTER COLUMN kind SET NOT NULL')).toEqual(['events ACCESS EXCLUSIVE scan']);
    expect(hazards('ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY (user_id) REFERENCES users (id)')).toEqual([
      'events SHARE ROW EXCLUSIVE scan',
    ]);
    expect(hazards("ALTER TABLE events ADD CONSTRAINT kind_ok CHECK (kind <> '')")).toEqual(['events ACCESS EXCLUSIVE scan']);
    expect(hazards('CREATE INDEX events_kind_idx ON events (kind)')).toEqual(['events SHARE scan']);
    expect(hazards('CREATE UNIQUE INDEX IF NOT EXISTS e_idx ON ONLY s.events (kind)')).toEqual(['s.events SHARE scan']);
    expect(hazards('ALTER TABLE events ADD PRIMARY KEY (id)')).toEqual(['events ACCESS EXCLUSIVE scan']);
    expect(hazards('VACUUM FULL events')).toEqual(['events ACCESS EXCLUSIVE rewrite']);
  });

  it('leaves the safe forms alone', () => {
    for (const sql of [
      'CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind)',
      'ALTER TABLE events ADD COLUMN note text',
      'ALTER TABLE events ADD COLUMN created timestamptz DEFAULT now()', // non-volatile default: no rewrite since PostgreSQL 11
      'ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID',
      'ALTER TABLE events VALIDATE CONSTRAINT events_user_fk',
      'ALTER TABLE events ADD CONSTRAINT events_pk PRIMARY KEY USING INDEX events_id_idx',
      'ALTER TABLE events RENAME COLUMN a TO b',
      'CREATE TABLE t (id int)',
    ]) {
      expect(hazards(sql), sql).toEqual([]);
    }
  });

  it('formats sizes the way people read them', () => {
    expect(formatBytes(48 * 1024 ** 3)).toBe('48 GB');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MB');
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatRows(310_000_000)).toBe('310M');
    expect(formatRows(5000)).toBe('5.0k');
    expect(formatRows(12)).toBe('12');
  });
});
