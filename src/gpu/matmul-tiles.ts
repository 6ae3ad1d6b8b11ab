/**
 * Which matmul kernel (and tile) a linear layer of a given shape runs with, on this device.
 *
 * The register-tiled kernel (shaders/matmul.wgsl) with 4, 8 or 16 rows per invocation, the
 * workgroup-shared one (shaders/matmul_shared.wgsl), the wide shared one with vec4 loads of both
 * operands for real GPUs (shaders/matmul_wide.wgsl, K a multiple of 4), or, where the adapter
 * offers subgroups, the register-tiled one sharing x loads across a subgroup
 * (shaders/matmul_subgroup.wgsl). Which is
 * fastest depends on the adapter (SwiftShader, a CPU, wants many rows per invocation; real GPUs
 * often want shared tiles), so the choice is measured per shape by the autotune
 * (kernel-autotune.ts) and kept here, with the device's other choices (kernel-choices.ts).
 */
/**
 * `subgroup`'s `lanes`: invocations per workgroup (8 columns each), 64 if absent (the first
 * version, whose saved choices carry no lanes). 64 lanes cover 512 columns, so layers of 384 or
 * 1152 outputs compute 25 % padding; 16 lanes (128 columns) or 4 (32: one SwiftShader subgroup,
 * many small workgroups to spread over its threads) waste none. On SwiftShader, 2 cores, quiet:
 * 4 lanes ran the DiT-S/2 shapes of 384 and 1152 outputs 25-30 % faster than 64, 64 lanes
 * stayed best at 4608 outputs.
 */
export type MatmulTile = { kernel: 'registers'; rows: 4 | 8 | 16 } | { kernel: 'shared' } | { kernel: 'subgroup'; lanes?: 4 | 16 | 64 } | { kernel: 'wide' };

export const MATMUL_TILES: readonly MatmulTile[] = [
  { kernel: 'registers', rows: 4 },
  { kernel: 'registers', rows: 8 },
  { kernel: 'registers', rows: 16 },
  { kernel: 'shared' },
  { kernel: 'subgroup' },
  { kernel: 'subgroup', lanes: 16 },
  { kernel: 'subgroup', lanes: 4 },
  { kernel: 'wide' },
];

/** The input width K must be a multiple of this (the wide kernel reads rows of x as vec4s). */
export const kMultiple = (t: MatmulTile): number => (t.kernel === 'wide' ? 4 : 1);

/** The subgroup kernel's invocations per workgroup. */
export const subgroupLanes = (t: MatmulTile & { kernel: 'subgroup' }): number => t.lanes ?? 64;

/** Before tuning, and for few rows (where more rows per invocation only repeats the last row). */
export const DEFAULT_TILE: MatmulTile = { kernel: 'registers', rows: 4 };

/** Below this many rows every layer takes DEFAULT_TILE; the autotune skips such shapes. */
export const TUNED_MIN_ROWS = 64;

export interface MatmulShape {
  M: number;
  K: number;
  N: number;
  f16: boolean;
}

export function tileName(t: MatmulTile): string {
  switch (t.kernel) {
    case 'shared': return 'shared-64x64';
    case 'subgroup': return t.lanes ? `subgroup-16x8-wg${t.lanes}` : 'subgroup-16x8';
    case 'wide': return 'wide-128x64-vec4';
    case 'registers': return `registers-${t.rows}x8`;
  }
}

/** Shapes with the same K, N and storage share a choice (M only changes the number of workgroups). */
export const shapeKey = (s: MatmulShape): string => `${s.K}x${s.N}${s.f16 ? '-f16' : ''}`;

export class MatmulTiles {
  private readonly chosen = new Map<string, MatmulTile>();

  forShape(s: MatmulShape): MatmulTile {
    if (s.M < TUNED_MIN_ROWS) return DEFAULT_TILE;
    return this.chosen.get(shapeKey(s)) ?? DEFAULT_TILE;
  }

  isTuned(s: MatmulShape): boolean {
    return s.M < TUNED_MIN_ROWS || this.chosen.has(shapeKey(s));
  }

  set(s: MatmulShape, tile: MatmulTile): void {
    this.chosen.set(shapeKey(s), tile);
  }

  /** The choices, to persist (engine/tuning-store.ts) and restore. */
  toJSON(): Record<string, MatmulTile> {
    return Object.fromEntries(this.chosen);
  }

  restore(saved: Record<string, MatmulTile>): void {
    for (const [key, tile] of Object.entries(saved)) {
      if (MATMUL_TILES.some((t) => tileName(t) === tileName(tile))) this.chosen.set(key, tile);
    }
  }
}
