import { describe, expect, it } from 'vitest';
import { DEFAULT_TILE, MATMUL_TILES, MatmulTiles, TUNED_MIN_ROWS, tileName } from '../../../src/gpu/matmul-tiles.ts';

describe('MatmulTiles', () => {
  const shape = { M: 512, K: 384, N: 1536, f16: false };

  it('answers the default tile until a shape is tuned, then the choice for every M of that K x N', () => {
    const t = new MatmulTiles();
    expect(t.isTuned(shape)).toBe(false);
    expect(t.forShape(shape)).toEqual(DEFAULT_TILE);
    t.set(shape, { kernel: 'registers', rows: 16 });
    expect(t.isTuned(shape)).toBe(true);
    expect(t.forShape({ ...shape, M: 300 })).toEqual({ kernel: 'registers', rows: 16 });
    // f16 storage is a different kernel specialisation: tuned separately
    expect(t.isTuned({ ...shape, f16: true })).toBe(false);
  });

  it('keeps few-row layers on the default tile (more rows per invocation would repeat the last row)', () => {
    const t = new MatmulTiles();
    const small = { ...shape, M: TUNED_MIN_ROWS - 1 };
    t.set(shape, { kernel: 'shared' });
    expect(t.isTuned(small)).toBe(true);
    expect(t.forShape(small)).toEqual(DEFAULT_TILE);
  });

  it('restores saved choices, ignoring tiles this build does not have', () => {
    const t = new MatmulTiles();
    t.restore({ '384x1536': { kernel: 'shared' }, '1x2': { kernel: 'registers', rows: 32 } as never });
    expect(t.toJSON()).toEqual({ '384x1536': { kernel: 'shared' } });
    expect(new Set(MATMUL_TILES.map(tileName)).size).toBe(MATMUL_TILES.length);
  });
});
