import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, isSha256Hex } from '../../../src/weights/sha256.ts';

const nodeHex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Sha256', () => {
  it('matches the FIPS test vectors', () => {
    expect(new Sha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(new TextEncoder().encode('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches node:crypto for every length around the block and padding edges', () => {
    for (let n = 0; n <= 200; n++) {
      const b = randomBytes(n);
      expect(new Sha256().update(b).hex(), `length ${n}`).toBe(nodeHex(b));
    }
  });

  it('gives the same digest however the input is split', () => {
    const b = randomBytes(5000);
    const want = nodeHex(b);
    for (const step of [1, 7, 63, 64, 65, 1000, 4999]) {
      const h = new Sha256();
      for (let i = 0; i < b.length; i += step) h.update(b.subarray(i, i + step));
      expect(h.hex(), `step ${step}`).toBe(want);
    }
  });

  it('hashes unaligned views', () => {
    const b = randomBytes(1001);
    expect(new Sha256().update(b.subarray(3, 1000)).hex()).toBe(nodeHex(b.subarray(3, 1000)));
  });

  it('recognises sha256 hex strings', () => {
    expect(isSha256Hex('a'.repeat(64))).toBe(true);
    expect(isSha256Hex('a'.repeat(40))).toBe(false);
    expect(isSha256Hex(undefined)).toBe(false);
  });
});
