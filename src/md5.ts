/**
 * The first 32 bits of MD5 (RFC 1321), big-endian, for short inputs: the shard hash of every key a
 * sharded run reads without a server-side filter (src/shard.ts). `crypto.createHash` costs
 * ~2 µs a call in setup alone; this loop is several times faster on keys of a few dozen bytes, and
 * its answer is the same (test/unit/shard-md5.test.ts compares them on random inputs).
 */

const S = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11,
  16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
const K = Int32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const words = new Int32Array(16);

/** MD5 of `bytes`; returns its first 4 bytes as an unsigned big-endian integer. */
export function md5First32(bytes: Uint8Array): number {
  const n = bytes.length;
  const blocks = ((n + 8) >>> 6) + 1; // message, 0x80, zero padding and the 64-bit length
  let a0 = 0x67452301;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476;
  for (let block = 0; block < blocks; block++) {
    const base = block * 64;
    for (let w = 0; w < 16; w++) {
      let v = 0;
      for (let j = 3; j >= 0; j--) {
        const at = base + w * 4 + j;
        v = (v << 8) | (at < n ? bytes[at] : at === n ? 0x80 : 0);
      }
      words[w] = v;
    }
    if (block === blocks - 1) {
      words[14] = (n * 8) | 0; // length in bits, low word (inputs here are far below 512 MB)
      words[15] = Math.floor(n / 0x20000000);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const sum = (a + f + K[i] + words[g]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << S[i]) | (sum >>> (32 - S[i])))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  // The digest starts with a0 in little-endian byte order; read those 4 bytes big-endian.
  return (((a0 & 0xff) << 24) | (((a0 >>> 8) & 0xff) << 16) | (((a0 >>> 16) & 0xff) << 8) | ((a0 >>> 24) & 0xff)) >>> 0;
}
