/** The shard hash's own MD5 loop (checks/lib/md5.ts) gives node:crypto's answer, across block boundaries. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { md5First32 } from '../../src/md5.js';

const reference = (b: Uint8Array) => createHash('md5').update(b).digest().readUInt32BE(0);

describe('md5First32', () => {
  it('matches node:crypto on random bytes of every length from 0 to 200 (1 to 4 blocks)', () => {
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let len = 0; len <= 200; len++) {
      for (let t = 0; t < 5; t++) {
        const bytes = Uint8Array.from({ length: len }, random);
        expect(md5First32(bytes), `length ${len}`).toBe(reference(bytes));
      }
    }
  });

  it('matches the RFC 1321 test suite', () => {
    const rfc: Array<[string, string]> = [
      ['', 'd41d8cd9'],
      ['abc', '90015098'],
      ['message digest', 'f96b697d'],
      ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a2'],
    ];
    for (const [text, hex] of rfc) expect(md5First32(Buffer.from(text)).toString(16).padStart(8, '0')).toBe(hex);
  });
});
