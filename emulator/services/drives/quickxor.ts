/**
 * QuickXorHash, the only hash OneDrive for Business and SharePoint report (`file.hashes.quickXorHash`).
 * Per Microsoft's description: byte i of the input is XORed into a 160-bit register rotated left by
 * i*11 bits, the register's 20 bytes are taken little-endian, and the 64-bit little-endian input
 * length is XORed into its last 8 bytes; the digest is base64.
 *
 * Because the rotation repeats every 160 bytes (160*11 ≡ 0 mod 160), all bytes whose index is equal
 * mod 160 land on the same bits: we XOR them into a 160-byte accumulator (one XOR per byte, done a
 * 32-bit word at a time when aligned) and place each accumulated byte once, at the end.
 */
const WIDTH_BYTES = 20;
const CYCLE = 160;

export class QuickXorHash {
  /** acc[k] = XOR of every input byte whose index ≡ k (mod 160). */
  private readonly acc = new Uint8Array(CYCLE);
  private readonly acc32 = new Uint32Array(this.acc.buffer);
  private length = 0;

  update(data: Uint8Array): this {
    const n = data.length;
    let pos = this.length % CYCLE;
    let i = 0;
    // Byte at a time up to a word boundary of the cycle, then a word at a time.
    for (; i < n && pos % 4 !== 0; i++) {
      this.acc[pos] = (this.acc[pos] as number) ^ (data[i] as number);
      pos = pos + 1 === CYCLE ? 0 : pos + 1;
    }
    const wordCount = Math.floor((n - i) / 4);
    if (wordCount > 0) {
      let src = data.subarray(i, i + wordCount * 4);
      if (src.byteOffset % 4 !== 0) src = Uint8Array.from(src); // copy to an aligned buffer
      const words = new Uint32Array(src.buffer, src.byteOffset, wordCount);
      const acc32 = this.acc32;
      let w = pos / 4;
      for (let j = 0; j < wordCount; j++) {
        acc32[w] = (acc32[w] as number) ^ (words[j] as number);
        w = w + 1 === CYCLE / 4 ? 0 : w + 1;
      }
      i += wordCount * 4;
      pos = w * 4;
    }
    for (; i < n; i++) {
      this.acc[pos] = (this.acc[pos] as number) ^ (data[i] as number);
      pos = pos + 1 === CYCLE ? 0 : pos + 1;
    }
    this.length += n;
    return this;
  }

  /** 20-byte digest. */
  digest(): Buffer {
    const out = Buffer.alloc(WIDTH_BYTES);
    for (let k = 0; k < CYCLE; k++) {
      const v = this.acc[k] as number;
      if (v === 0) continue;
      const bit = (k * 11) % CYCLE;
      // The byte spans bits bit..bit+7 of the circular 160-bit register.
      const lo = bit >> 3;
      const shift = bit & 7;
      out[lo] = (out[lo] as number) ^ ((v << shift) & 0xff);
      if (shift) {
        const hi = (lo + 1) % WIDTH_BYTES;
        out[hi] = (out[hi] as number) ^ (v >> (8 - shift));
      }
    }
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(this.length));
    for (let i = 0; i < 8; i++)
      out[WIDTH_BYTES - 8 + i] = (out[WIDTH_BYTES - 8 + i] as number) ^ (len[i] as number);
    return out;
  }

  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

export function quickXorHash(data: Uint8Array): string {
  return new QuickXorHash().update(data).digestBase64();
}
