import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, isSha256Hex } from '../../../src/weights/sha256.ts';

const nodeHex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('Sha256', () => {
  it('keeps the states of interleaved hashers apart (one wasm instance serves all)', async () => {
    const a = randomBytes(3000);
    const b = randomBytes(2000);
    const ha = await Sha256.create();
    const hb = await Sha256.create();
    for (let i = 0; i < 3000; i += 500) {
      ha.update(a.subarray(i, i + 500));
      if (i < 2000) hb.update(b.subarray(i, i + 500));
    }
    expect(hb.hex()).toBe(nodeHex(b));
    expect(ha.hex()).toBe(nodeHex(a));
  });

  it('matches the FIPS test vectors', async () => {
    expect((await Sha256.create()).hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect((await Sha256.create()).update(new TextEncoder().encode('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches node:crypto for every length around the block and padding edges', async () => {
    for (let n = 0; n <= 200; n++) {
      const b = randomBytes(n);
      expect((await Sha256.create()).update(b).hex(), `length ${n}`).toBe(nodeHex(b));
    }
  });

  it('gives the same digest however the input is split', async () => {
    const b = randomBytes(5000);
    const want = nodeHex(b);
    for (const step of [1, 7, 63, 64, 65, 1000, 4999]) {
      const h = (await Sha256.create());
      for (let i = 0; i < b.length; i += step) h.update(b.subarray(i, i + step));
      expect(h.hex(), `step ${step}`).toBe(want);
    }
  });

  it('hashes unaligned views', async () => {
    const b = randomBytes(1001);
    expect((await Sha256.create()).update(b.subarray(3, 1000)).hex()).toBe(nodeHex(b.subarray(3, 1000)));
  });

  it('recognises sha256 hex strings', () => {
    expect(isSha256Hex('a'.repeat(64))).toBe(true);
    expect(isSha256Hex('a'.repeat(40))).toBe(false);
    expect(isSha256Hex(undefined)).toBe(false);
  });
});
