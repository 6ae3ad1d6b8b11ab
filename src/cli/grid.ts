/**
 * `dit generate` grids: `--seed`, `--cfg` and `--blend-weight` may each be a comma-separated list.
 * With any list the PNG is a grid, one row per seed and one column per value of the other list
 * (at most one of --cfg and --blend-weight), cells in the order given, each the size of a single
 * image, with no borders: picture (r, c) equals the single run with those values.
 */
import type { Frame, PictureParams } from '../engine/api.ts';
import { UsageError } from './args.ts';

/** `--name a,b,c` as strings; a missing value ("1,,2", "1,", ",") is an error. */
export function listOption(name: string, raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${name} has an empty value in its list "${raw}"`);
  return items;
}

/** Each item a finite number (Number('') would be 0, so emptiness is checked first). */
export function numberList(name: string, raw: string): number[] {
  if (raw.trim() === '') throw new UsageError(`--${name} must be a number, got "${raw}"`);
  return listOption(name, raw).map((item) => {
    const n = Number(item);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number or a list of numbers, got "${item}"`);
    return n;
  });
}

/** What a grid varies: seeds down the rows; guidance or blend weight across the columns (or nothing). */
export interface GridSpec {
  classId: number;
  seeds: number[];
  cfgScales: number[];
  /** With --blend: the blend class and its weights; null without. */
  blend: { classId: number; weights: number[] } | null;
}

export interface GridLayout {
  rows: number;
  columns: number;
  /** Row-major: picture r·columns + c. */
  pictures: PictureParams[];
  /** What the columns vary, for the PNG's text (null: one column). */
  columnAxis: 'cfg' | 'blend_weight' | null;
}

export function gridLayout(g: GridSpec): GridLayout {
  const weights = g.blend?.weights ?? [];
  if (g.cfgScales.length > 1 && weights.length > 1) throw new UsageError('at most one of --cfg and --blend-weight may be a list');
  const columnAxis = g.cfgScales.length > 1 ? 'cfg' : weights.length > 1 ? 'blend_weight' : null;
  const columns = columnAxis === 'cfg' ? g.cfgScales.length : columnAxis === 'blend_weight' ? weights.length : 1;
  const pictures: PictureParams[] = [];
  for (const seed of g.seeds) {
    for (let c = 0; c < columns; c++) {
      const cfgScale = g.cfgScales[columnAxis === 'cfg' ? c : 0];
      const blend = g.blend ? { classId: g.blend.classId, weight: weights[columnAxis === 'blend_weight' ? c : 0] } : undefined;
      pictures.push({ classId: g.classId, seed, cfgScale, ...(blend ? { blend } : {}) });
    }
  }
  return { rows: g.seeds.length, columns, pictures, columnAxis };
}

/** The pictures side by side, row-major, with no borders or padding. */
export function composeGrid(images: Frame[], rows: number, columns: number): Frame {
  if (images.length !== rows * columns) throw new Error(`a ${rows}x${columns} grid needs ${rows * columns} pictures, got ${images.length}`);
  const { width: w, height: h } = images[0];
  const out = new Uint8ClampedArray(columns * w * rows * h * 4);
  images.forEach((img, i) => {
    if (img.width !== w || img.height !== h) throw new Error('grid pictures differ in size');
    const x0 = (i % columns) * w;
    const y0 = Math.floor(i / columns) * h;
    for (let y = 0; y < h; y++) out.set(img.rgba.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * columns * w + x0) * 4);
  });
  return { width: columns * w, height: rows * h, rgba: out };
}

/** PNG text describing the grid: its size and the value of each row and column. */
export function gridText(layout: GridLayout, g: GridSpec): Record<string, string> {
  const columnValues = layout.columnAxis === 'cfg' ? g.cfgScales : layout.columnAxis === 'blend_weight' ? g.blend!.weights : [];
  return {
    'dit:grid': `${layout.rows}x${layout.columns}`,
    'dit:grid_rows': `seed=${g.seeds.join(',')}`,
    'dit:grid_columns': layout.columnAxis ? `${layout.columnAxis}=${columnValues.join(',')}` : 'none',
  };
}
