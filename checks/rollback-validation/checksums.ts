/**
 * Migration checksums computed exactly the way the tools compute them, so an edited file is told
 * apart from an untouched one.
 */
import { createHash } from 'node:crypto';

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** IEEE CRC-32 (java.util.zip.CRC32), unsigned. */
export function crc32(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Flyway's checksum of a SQL migration: it reads the file (UTF-8) line by line with Java's
 * BufferedReader.readLine (which drops "\n", "\r" and "\r\n"), strips a byte-order mark from the
 * first line, feeds each line's UTF-8 bytes to one CRC32, and stores the value as a signed 32-bit
 * int. So line endings and blank lines do not count, everything else does.
 */
export function flywayChecksum(content: Buffer | string): number {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const joined = text.replace(/^\uFEFF/, '').replace(/[\r\n]/g, '');
  return crc32(Buffer.from(joined, 'utf8')) | 0;
}

/** Prisma's checksum: SHA-256 of migration.sql, lower-case hex. */
export function prismaChecksum(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * The same SHA-256 written the way older Prisma versions wrote it: each byte in hex without its
 * leading zero ("0a" -> "a"). Prisma still accepts such rows (prisma-engines#1887).
 */
export function prismaChecksumWithoutLeadingZeros(content: Buffer | string): string {
  return [...createHash('sha256').update(content).digest()].map((b) => b.toString(16)).join('');
}

/**
 * Prisma accepts a recorded checksum when the script matches it as is or with its line endings
 * converted either way (git may have rewritten them on checkout).
 */
export function prismaChecksumMatches(content: Buffer, recorded: string): boolean {
  const want = recorded.trim().toLowerCase();
  if (prismaChecksum(content) === want) return true;
  const text = content.toString('utf8');
  const lf = text.replace(/\r\n/g, '\n');
  return prismaChecksum(lf) === want || prismaChecksum(lf.replace(/\n/g, '\r\n')) === want;
}
