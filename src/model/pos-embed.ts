/**
 * The fixed 2-D sin-cos position table of DiT (`get_2d_sincos_pos_embed`), in float64 like the
 * reference's numpy code, rounded to float32. Row t = gy * grid + gx; the first D/2 columns
 * embed the column coordinate gx, the last D/2 the row coordinate gy, each as [sin | cos].
 */
export function sincosPosEmbed2d(D: number, grid: number): Float32Array {
  const out = new Float32Array(grid * grid * D);
  const quarter = D / 4;
  const omega = Array.from({ length: quarter }, (_, k) => 1 / 10000 ** (k / quarter));
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const row = (gy * grid + gx) * D;
      for (let k = 0; k < quarter; k++) {
        out[row + k] = Math.sin(gx * omega[k]);
        out[row + quarter + k] = Math.cos(gx * omega[k]);
        out[row + 2 * quarter + k] = Math.sin(gy * omega[k]);
        out[row + 3 * quarter + k] = Math.cos(gy * omega[k]);
      }
    }
  }
  return out;
}
