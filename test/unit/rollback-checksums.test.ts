import { describe, expect, it } from 'vitest';
import { crc32, flywayChecksum, prismaChecksum, prismaChecksumMatches } from '../../checks/rollback-validation/checksums.js';

describe('rollback-validation checksums', () => {
  it('crc32 is the IEEE CRC-32 (check value of "123456789")', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  // Expected values computed with java.util.zip.CRC32 over BufferedReader.readLine() lines, the way
  // Flyway does it (first-line BOM stripped), by a small Java program on this machine.
  it('matches Flyway: line endings, blank lines and a leading BOM do not count', () => {
    expect(flywayChecksum(Buffer.from('CREATE TABLE t (id int);\nSELECT 1;\n'))).toBe(-1645056791);
    expect(flywayChecksum(Buffer.from('CREATE TABLE t (id int);\r\n\r\nSELECT 1;'))).toBe(-1645056791);
    expect(flywayChecksum(Buffer.from('\xef\xbb\xbfCREATE TABLE t (id int);\rSELECT 1;\n', 'latin1'))).toBe(-1645056791);
  });

  it('matches Flyway on multi-byte UTF-8 text', () => {
    expect(flywayChecksum(Buffer.from("-- café €\nINSERT INTO x VALUES ('😀');\n", 'utf8'))).toBe(2072266808);
  });

  it('changes when the content changes', () => {
    expect(flywayChecksum('SELECT 1;')).not.toBe(flywayChecksum('SELECT 2;'));
  });

  it('Prisma: sha256 hex, accepted with line endings converted either way', () => {
    const lf = Buffer.from('CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n');
    const crlf = Buffer.from('CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n');
    expect(prismaChecksum(lf)).toMatch(/^[0-9a-f]{64}$/);
    expect(prismaChecksumMatches(crlf, prismaChecksum(lf))).toBe(true);
    expect(prismaChecksumMatches(lf, prismaChecksum(crlf))).toBe(true);
    expect(prismaChecksumMatches(Buffer.from('CREATE TABLE a (id bigint);\n'), prismaChecksum(lf))).toBe(false);
  });
});
