import { describe, expect, it } from 'vitest';
import { jsDown } from '../../checks/rollback-validation/tools/files.js';

describe('jsDown: how a JS/TS migration rolls back, read from its text', () => {
  it('finds exported downs with a body', () => {
    for (const src of [
      'exports.down = (knex) => knex.schema.dropTable("users");',
      'exports.down = async function (knex) { await knex.schema.dropTable("users"); };',
      'export async function down(pgm) { pgm.dropTable("users"); }',
      'export const down = (pgm) => { pgm.dropTable("users"); };',
      'async function down(knex) { await knex.schema.dropTable("t"); }\nmodule.exports = { up, down };',
      'module.exports = { up: async () => {}, down: async (knex) => { await knex.schema.dropTable("t"); } };',
    ]) {
      expect(jsDown(src), src).toBe('present');
    }
  });

  it('finds empty downs', () => {
    for (const src of [
      'exports.down = async () => {};',
      'exports.down = function () { return null; };',
      'export async function down() {\n  // nothing\n}',
      'exports.down = () => null;',
      'exports.down = () => Promise.resolve();',
    ]) {
      expect(jsDown(src), src).toBe('empty');
    }
  });

  it('a down defined but not exported is not a down (failed before: any function named down counted)', () => {
    expect(jsDown('async function down(knex) { await knex.schema.dropTable("t"); }\nexports.up = () => {};')).toBe('not-exported');
    expect(jsDown('exports.up = (pgm) => {};\n// exports.down = (pgm) => pgm.dropTable("t");')).toBe('none');
    expect(jsDown('exports.up = (pgm) => {};\nexports.down = false;')).toBe('none');
  });
});
