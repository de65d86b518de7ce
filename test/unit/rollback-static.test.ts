import { describe, expect, it } from 'vitest';
import { analyseUpDown } from '../../checks/rollback-validation/static-analysis.js';
import type { DiskMigration } from '../../checks/rollback-validation/tools/types.js';

const sql = (id: string, up: string, down: string): DiskMigration => ({
  id,
  label: id,
  upFile: `${id}.up.sql`,
  upSql: up,
  downFile: `${id}.down.sql`,
  downSql: down,
  down: 'sql',
});
const golang = { id: 'golang-migrate' as const, title: 'golang-migrate' };
const verdicts = (ms: DiskMigration[]) =>
  analyseUpDown(golang, ms, undefined, 'app').map((f) => `${f.code} ${f.label}${'object' in f ? ` ${f.object}` : ''}`);

describe('static up/down analysis', () => {
  it('an object dropped directly, with its table or with its schema counts as undone', () => {
    expect(
      verdicts([
        sql(
          '1',
          'CREATE TABLE t (id int); CREATE INDEX t_idx ON t (id); ALTER TABLE t ADD CONSTRAINT t_pos CHECK (id > 0);',
          'DROP TABLE t;',
        ),
        sql('2', 'CREATE SCHEMA s; CREATE TABLE s.x (id int); CREATE INDEX x_idx ON s.x (id);', 'DROP SCHEMA s CASCADE;'),
        sql('3', 'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS $$ SELECT a $$;', 'DROP FUNCTION f(int);'),
        sql('4', 'ALTER TABLE t ADD COLUMN c int, ADD CONSTRAINT t_c CHECK (c > 0);', 'ALTER TABLE t DROP CONSTRAINT t_c, DROP COLUMN c;'),
      ]),
    ).toEqual([]);
  });

  it('names what a down forgets; objects that may have existed are judged by the earlier migrations', () => {
    expect(
      verdicts([
        sql('1', 'CREATE TABLE t (id int, email text);', 'DROP TABLE t;'),
        sql(
          '2',
          'CREATE INDEX t_email_idx ON t (email); CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION g();',
          'DROP TRIGGER trg ON t;',
        ),
        // t existed before 3 (migration 1 makes it): IF NOT EXISTS does not make 3 its owner.
        sql('3', 'CREATE TABLE IF NOT EXISTS t (id int); CREATE OR REPLACE VIEW v AS SELECT 1;', 'DROP INDEX IF EXISTS nothing;'),
      ]),
    ).toEqual(['down-incomplete 2 index app.t_email_idx', 'down-incomplete 3 view app.v']);
  });

  it('empty downs; a DO block or a function call is not judged (no false alarm)', () => {
    expect(
      verdicts([
        sql('1', 'CREATE TABLE a (id int);', '-- nothing\n/* at all */'),
        sql('2', 'CREATE TABLE b (id int);', 'BEGIN;\nCOMMIT;'),
        sql('3', 'CREATE TABLE c (id int);', "DO $$ BEGIN EXECUTE 'DROP TABLE c'; END $$;"),
        sql('4', 'CREATE TABLE d (id int);', "SELECT drop_everything('d');"),
      ]),
    ).toEqual(['empty-down 1', 'empty-down 2']);
  });

  it('Knex: a pending migration without an exported down is one Knex refuses to run', () => {
    const knex = { id: 'knex' as const, title: 'Knex' };
    const ms: DiskMigration[] = [
      { id: 'a.js', label: 'a.js', upFile: 'a.js', down: 'none' },
      { id: 'b.js', label: 'b.js', upFile: 'b.js', down: 'none', downProblem: 'not-exported' },
      { id: 'c.js', label: 'c.js', upFile: 'c.js', down: 'code' },
    ];
    const f = analyseUpDown(knex, ms, { applied: [{ id: 'a.js', rank: 0, state: 'applied' }] }, 'app');
    expect(f).toEqual([{ code: 'invalid-migration', label: 'b.js', reason: expect.stringMatching(/not exported; Knex refuses/) }]);
  });
});
