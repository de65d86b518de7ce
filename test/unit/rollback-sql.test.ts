import { describe, expect, it } from 'vitest';
import { destructiveTargets, isTransactionControl, nonTransactionalReason } from '../../checks/rollback-validation/sql-classify.js';
import { createdObjects as createdRefs } from '../../checks/rollback-validation/sql-objects.js';

const createdObjects = (c: string, schema: string) => createdRefs(c, schema).map((o) => o.key);
import { splitSqlStatements, splitTopLevel } from '../../checks/rollback-validation/sql-split.js';

const texts = (sql: string) => splitSqlStatements(sql).map((s) => s.text);

describe('splitSqlStatements', () => {
  it('splits on semicolons and reports the line of each statement', () => {
    const s = splitSqlStatements('CREATE TABLE a (id int);\n\n-- comment\nDROP TABLE b;\n  SELECT 1');
    expect(s.map((x) => x.text)).toEqual(['CREATE TABLE a (id int)', 'DROP TABLE b', 'SELECT 1']);
    expect(s.map((x) => x.line)).toEqual([1, 4, 5]);
  });

  it('ignores semicolons inside quotes, identifiers, comments and dollar quotes', () => {
    const sql = `INSERT INTO t VALUES ('a;b', 'it''s;');
SELECT "weird;name" FROM t; -- trailing; comment
/* block; /* nested; */ still comment; */ SELECT 2;
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN PERFORM 1; RETURN; END $fn$;
DO $$ BEGIN RAISE NOTICE 'x;'; END $$;
SELECT E'escaped \\'; still string';`;
    expect(texts(sql)).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s;')",
      'SELECT "weird;name" FROM t',
      'SELECT 2',
      'CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ BEGIN PERFORM 1; RETURN; END $fn$',
      "DO $$ BEGIN RAISE NOTICE 'x;'; END $$",
      "SELECT E'escaped \\'; still string'",
    ]);
  });

  it('keeps BEGIN ATOMIC function bodies whole, CASE … END included', () => {
    const sql = `CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END; SELECT 3;`;
    expect(texts(sql)).toEqual([
      'CREATE FUNCTION g(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END',
      'SELECT 3',
    ]);
  });

  it('does not take $1 parameters or a$b$ identifiers for dollar quotes', () => {
    expect(texts('SELECT $1; SELECT a$b$c FROM t; SELECT 2')).toEqual(['SELECT $1', 'SELECT a$b$c FROM t', 'SELECT 2']);
  });

  it('gives a comment-free, whitespace-collapsed code form', () => {
    const [s] = splitSqlStatements("ALTER TABLE  t -- why\n   DROP COLUMN   c /* x */ , DROP COLUMN 'lit  eral'");
    expect(s.code).toBe("ALTER TABLE t DROP COLUMN c , DROP COLUMN 'lit  eral'");
  });

  it('drops empty statements', () => {
    expect(texts(';;\n-- only a comment\n;')).toEqual([]);
  });

  it('splitTopLevel respects parentheses and quotes', () => {
    expect(splitTopLevel("a, b(c, d), 'e,f', g", ',')).toEqual(['a', 'b(c, d)', "'e,f'", 'g']);
  });
});

const code = (sql: string) => splitSqlStatements(sql)[0].code;

describe('statement classification', () => {
  it('recognises statements that cannot run in a transaction', () => {
    for (const sql of [
      'CREATE INDEX CONCURRENTLY i ON t (a)',
      'create unique index concurrently if not exists i on t (a)',
      'DROP INDEX CONCURRENTLY i',
      'REINDEX TABLE CONCURRENTLY t',
      'VACUUM ANALYZE t',
      'CREATE DATABASE x',
      'ALTER SYSTEM SET work_mem = 1',
      'ALTER TABLE p DETACH PARTITION c CONCURRENTLY',
    ]) {
      expect(nonTransactionalReason(code(sql)), sql).toBeTruthy();
    }
    for (const sql of [
      'CREATE INDEX i ON t (a)',
      "ALTER TYPE mood RENAME VALUE 'a' TO 'b'",
      "SELECT 'VACUUM'",
      "ALTER TYPE mood ADD VALUE 'sad'",
    ]) {
      expect(nonTransactionalReason(code(sql)), sql).toBeUndefined();
    }
    // Only before PostgreSQL 12 is ADD VALUE refused inside a transaction block.
    expect(nonTransactionalReason(code("ALTER TYPE mood ADD VALUE 'sad'"), 110000)).toMatch(/before PostgreSQL 12/);
  });

  it('recognises transaction control wrappers', () => {
    expect(['BEGIN', 'begin transaction', 'START TRANSACTION', 'COMMIT', 'END'].every((s) => isTransactionControl(code(s)))).toBe(true);
    expect(isTransactionControl(code('BEGIN ATOMIC'))).toBe(false);
    expect(isTransactionControl(code('DO $$ BEGIN END $$'))).toBe(false);
  });

  it('finds dropped tables, with schemas, quotes and lists', () => {
    expect(destructiveTargets(code('DROP TABLE IF EXISTS app.users, "Weird Name" CASCADE'))).toEqual([
      { action: 'drop-table', schema: 'app', table: 'users' },
      { action: 'drop-table', table: 'Weird Name' },
    ]);
  });

  it('finds truncates and deletes, with the WHERE kept for counting', () => {
    expect(destructiveTargets(code('TRUNCATE TABLE ONLY a, b RESTART IDENTITY CASCADE'))).toEqual([
      { action: 'truncate', table: 'a' },
      { action: 'truncate', table: 'b' },
    ]);
    expect(destructiveTargets(code("DELETE FROM s.t AS x WHERE x.kind = 'old' RETURNING id"))).toEqual([
      { action: 'delete', schema: 's', table: 't', alias: 'x', where: "x.kind = 'old'" },
    ]);
    expect(destructiveTargets(code('DELETE FROM t USING u WHERE t.id = u.id'))).toEqual([
      { action: 'delete', table: 't', upperBoundOnly: true },
    ]);
    expect(destructiveTargets(code('DELETE FROM t'))).toEqual([{ action: 'delete', table: 't' }]);
  });

  it('finds dropped columns but not dropped constraints or defaults', () => {
    expect(
      destructiveTargets(code('ALTER TABLE ONLY t DROP COLUMN a, DROP b CASCADE, DROP CONSTRAINT c, ALTER COLUMN d DROP DEFAULT')),
    ).toEqual([
      { action: 'drop-column', table: 't', column: 'a' },
      { action: 'drop-column', table: 't', column: 'b' },
    ]);
    expect(destructiveTargets(code('ALTER TABLE t ADD COLUMN a int'))).toEqual([]);
  });

  it('finds DROP SCHEMA … CASCADE only', () => {
    expect(destructiveTargets(code('DROP SCHEMA old CASCADE'))).toEqual([{ action: 'drop-schema', schema: 'old', table: '' }]);
    expect(destructiveTargets(code('DROP SCHEMA old'))).toEqual([]);
  });

  it('lists the objects an up script creates, as snapshot keys', () => {
    expect(createdObjects(code('CREATE TABLE IF NOT EXISTS users (id int)'), 'app')).toEqual(['table app.users']);
    expect(createdObjects(code('CREATE UNIQUE INDEX users_email_idx ON other.users (email)'), 'app')).toEqual([
      'index other.users_email_idx',
    ]);
    expect(createdObjects(code('CREATE INDEX ON users (email)'), 'app')).toEqual([]);
    expect(
      createdObjects(
        code('ALTER TABLE users ADD COLUMN IF NOT EXISTS age int, ADD CONSTRAINT age_pos CHECK (age > 0), ADD PRIMARY KEY (id)'),
        'app',
      ),
    ).toEqual(['column app.users.age', 'constraint app.users.age_pos']);
    expect(createdObjects(code('CREATE OR REPLACE VIEW v AS SELECT 1'), 'app')).toEqual(['view app.v']);
    expect(
      createdObjects(code('CREATE OR REPLACE FUNCTION s.touch() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql'), 'app'),
    ).toEqual(['function s.touch(']);
    expect(createdObjects(code('CREATE POLICY p_own ON docs USING (true)'), 'app')).toEqual(['policy app.docs.p_own']);
    expect(createdObjects(code('CREATE EXTENSION IF NOT EXISTS pgcrypto'), 'app')).toEqual(['extension pgcrypto']);
    expect(createdObjects(code('CREATE TRIGGER trg BEFORE INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION f()'), 'app')).toEqual([
      'trigger s.t.trg',
    ]);
  });
});
