/**
 * Draws the app's icons (public/icons/*.png, listed in public/manifest.webmanifest): the favicon's
 * design (index.html) — a violet rounded square holding a translucent white one — at the sizes an
 * installed web app needs, plus a maskable one whose design sits inside the 80 % safe zone.
 *
 *   npx tsx tools/icons/make-icons.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodePng } from '../../src/app/png.ts';

const OUT = fileURLToPath(new URL('../../public/icons/', import.meta.url));
const VIOLET = [0x7c, 0x5c, 0xff];

/** Coverage of a rounded rectangle (in a 40×40 design space) at a point. */
function inRoundedRect(x: number, y: number, x0: number, y0: number, size: number, r: number): boolean {
  const cx = Math.min(Math.max(x, x0 + r), x0 + size - r);
  const cy = Math.min(Math.max(y, y0 + r), y0 + size - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= x0 && y >= y0 && x <= x0 + size && y <= y0 + size;
}

/** RGBA pixels of the icon; `maskable` fills the whole square and shrinks the design to 80 %. */
function draw(px: number, maskable: boolean): Uint8Array {
  const rgba = new Uint8Array(px * px * 4);
  const SS = 4; // supersampling per axis, for smooth edges
  const scale = maskable ? 0.8 : 1;
  for (let j = 0; j < px; j++) {
    for (let i = 0; i < px; i++) {
      let bg = 0;
      let fg = 0;
      for (let sj = 0; sj < SS; sj++) {
        for (let si = 0; si < SS; si++) {
          // The point in the 40×40 design, centred.
          const x = 20 + (((i + (si + 0.5) / SS) / px) * 40 - 20) / scale;
          const y = 20 + (((j + (sj + 0.5) / SS) / px) * 40 - 20) / scale;
          if (maskable || inRoundedRect(x, y, 0, 0, 40, 10)) bg++;
          if (inRoundedRect(x, y, 9, 9, 22, 3)) fg++;
        }
      }
      const a = bg / (SS * SS);
      const w = (fg / (SS * SS)) * 0.7; // the inner square: white at 70 %
      const o = (j * px + i) * 4;
      for (let c = 0; c < 3; c++) rgba[o + c] = a > 0 ? Math.round(VIOLET[c] * (1 - w / a) + 255 * (w / a)) : 0;
      rgba[o + 3] = Math.round(255 * a);
    }
  }
  return rgba;
}

mkdirSync(OUT, { recursive: true });
for (const [name, px, maskable] of [['icon-192.png', 192, false], ['icon-512.png', 512, false], ['icon-maskable-512.png', 512, true]] as const) {
  writeFileSync(`${OUT}${name}`, await encodePng({ width: px, height: px, rgba: draw(px, maskable) }));
  console.log(`public/icons/${name}`);
}
