/**
 * `dit generate` grids and class blends (the command line's contract): `--seed`, `--cfg` and
 * `--blend-weight` lists make one PNG, a row per seed and a column per value of the other list, no
 * borders, each cell equal to the single run within ±1 per channel; `--blend` mixes the label
 * embeddings; bad lists and blends are one clear line and no file.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgbaPng, readPngText } from '../../src/app/png.ts';
import { runCli } from '../support/cli.ts';
import { TINY_REPO, tinyHubRepos } from '../support/hub-fixtures.ts';
import { startHubServer, type HubServer } from '../support/hub-server.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dit-grid-'));

interface Rgb { width: number; height: number; rgb: Uint8Array; text: Record<string, string> }

async function readRgb(path: string): Promise<Rgb> {
  const png = new Uint8Array(readFileSync(path));
  const img = await decodeRgbaPng(png);
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) rgb.set(img.rgba.subarray(i * 4, i * 4 + 3), i * 3);
  return { width: img.width, height: img.height, rgb, text: readPngText(png) };
}

/** Cell (r, c) of a grid of w x h cells. */
function cell(grid: Rgb, r: number, c: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) out.set(grid.rgb.subarray(((r * h + y) * grid.width + c * w) * 3, ((r * h + y) * grid.width + (c + 1) * w) * 3), y * w * 3);
  return out;
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function generate(name: string, args: string[]): Promise<Rgb> {
  const out = join(tmp, name);
  const r = await runCli(['generate', ...args, '--output', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return readRgb(out);
}

const builtin = (...args: string[]) => ['--model', 'builtin', '--steps', '4', '--sampler', 'ddpm', ...args];

describe('dit generate grids on the built-in model', () => {
  it('--seed 1,2 --cfg 1,4: a 2x2 grid, rows by seed, columns by guidance, each cell the single run', async () => {
    const grid = await generate('seed-cfg.png', builtin('--class', 'Granny Smith', '--seed', '1,2', '--cfg', '1,4'));
    expect([grid.width, grid.height]).toEqual([64, 64]);
    expect(grid.text['dit:grid']).toBe('2x2');
    expect(grid.text['dit:grid_rows']).toBe('seed=1,2');
    expect(grid.text['dit:grid_columns']).toBe('cfg=1,4');
    // The diagonal cells (every seed, every guidance scale) against their single runs.
    for (const [rc, seed, cfg] of [[0, '1', '1'], [1, '2', '4']] as const) {
      const single = await generate(`single-${seed}-${cfg}.png`, builtin('--class', 'Granny Smith', '--seed', seed, '--cfg', cfg));
      expect(maxDiff(cellOf(grid, rc, rc), single.rgb), `cell ${rc},${rc}`).toBeLessThanOrEqual(1);
    }
    // Not one picture four times.
    expect(maxDiff(cellOf(grid, 0, 1), cellOf(grid, 1, 1))).toBeGreaterThan(20);
  });

  it('--blend: weight 0 is the plain --class run, weight 1 the plain --blend run; a list is one row', async () => {
    const strip = await generate('blend.png', builtin('--class', 'basketball', '--blend', 'Granny Smith', '--blend-weight', '0,0.5,1', '--seed', '3', '--cfg', '4'));
    expect([strip.width, strip.height]).toEqual([96, 32]);
    expect(strip.text['dit:grid_columns']).toBe('blend_weight=0,0.5,1');
    expect(strip.text['dit:blend_class_id']).toBe('948');
    const a = await generate('plain-a.png', builtin('--class', 'basketball', '--seed', '3', '--cfg', '4'));
    const b = await generate('plain-b.png', builtin('--class', 'Granny Smith', '--seed', '3', '--cfg', '4'));
    expect(maxDiff(a.rgb, b.rgb)).toBeGreaterThan(20);
    expect(maxDiff(cellOf(strip, 0, 0), a.rgb)).toBeLessThanOrEqual(1);
    expect(maxDiff(cellOf(strip, 0, 2), b.rgb)).toBeLessThanOrEqual(1);
    // --blend alone means weight 0.5: the middle cell.
    const half = await generate('half.png', builtin('--class', 'basketball', '--blend', 'Granny Smith', '--seed', '3', '--cfg', '4'));
    expect([half.width, half.height]).toEqual([32, 32]);
    expect(half.text['dit:blend_weight']).toBe('0.5');
    expect(maxDiff(cellOf(strip, 0, 1), half.rgb)).toBeLessThanOrEqual(1);
  });

  const refused: [string, string[], RegExp][] = [
    ['a blend class the model does not know', ['--class', '948', '--blend', '999'], /does not know --blend class 999/],
    ['a blend class outside ImageNet', ['--class', '948', '--blend', 'no such thing'], /unknown --blend class "no such thing"/],
    ['a blend weight above 1', ['--class', '948', '--blend', '430', '--blend-weight', '1.5'], /--blend-weight must be in \[0, 1\], got 1.5/],
    ['a negative blend weight in a list', ['--class', '948', '--blend', '430', '--blend-weight', '0,-0.1'], /--blend-weight must be in \[0, 1\], got -0.1/],
    ['a list with an empty value', ['--class', '948', '--seed', '1,,2'], /--seed has an empty value in its list "1,,2"/],
    ['a trailing comma', ['--class', '948', '--cfg', '1,4,'], /--cfg has an empty value/],
    ['two lists across the columns', ['--class', '948', '--blend', '430', '--cfg', '1,4', '--blend-weight', '0,1'], /at most one of --cfg and --blend-weight may be a list/],
    ['--blend-weight without --blend', ['--class', '948', '--blend-weight', '0.5'], /--blend-weight needs --blend/],
    ['a seed that is not a number', ['--class', '948', '--seed', '1,x'], /--seed must be a number or a list of numbers, got "x"/],
  ];
  for (const [what, args, message] of refused) {
    it(`refuses ${what}: one line, no file`, async () => {
      const out = join(tmp, `refused-${what.replace(/\W+/g, '-')}.png`);
      const r = await runCli(['generate', ...builtin(...args), '--output', out]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    });
  }
});

/** Cell (r, c) of a grid of 32x32 cells (the built-in model's size). */
function cellOf(g: Rgb, r: number, c: number): Uint8Array {
  return cell(g, r, c, 32, 32);
}

describe('dit generate grids on a Hub model', () => {
  let hub: HubServer;
  beforeAll(async () => {
    hub = await startHubServer({ repos: tinyHubRepos() });
  });
  afterAll(async () => hub?.close());

  it('--seed 7,8 --blend 5 --blend-weight 0,1 on the tiny Hub model: cells equal the single runs of --class 3 / 5', async () => {
    const cacheDir = join(tmp, 'hub-cache');
    const hubArgs = (...extra: string[]) => ['--hub-url', hub.url, '--repo', TINY_REPO, '--revision', 'refs/pr/1', '--steps', '3', '--cache-dir', cacheDir, '--quiet', ...extra];
    const grid = await generate('hub-grid.png', hubArgs('--class', '3', '--seed', '7,8', '--blend', '5', '--blend-weight', '0,1'));
    expect([grid.width, grid.height]).toEqual([32, 32]);
    expect(grid.text['dit:grid']).toBe('2x2');
    for (const [rc, seed, cls] of [[0, '7', '3'], [1, '8', '5']] as const) {
      const single = await generate(`hub-${seed}-${cls}.png`, hubArgs('--class', cls, '--seed', seed));
      expect(maxDiff(cell(grid, rc, rc, 16, 16), single.rgb), `cell ${rc},${rc}`).toBeLessThanOrEqual(1);
    }
  });
});
