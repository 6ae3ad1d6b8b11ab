/** Host-side constants of the sinusoidal embeddings (no GPU, importable from Node). */

/** Frequencies of the sinusoidal timestep features, computed in float32 like PyTorch. */
export function timestepFrequencies(dim: number, maxPeriod = 10000): Float32Array {
  const half = Math.floor(dim / 2);
  const out = new Float32Array(half);
  const negLog = Math.fround(-Math.log(maxPeriod));
  for (let i = 0; i < half; i++) out[i] = Math.fround(Math.exp(Math.fround(Math.fround(negLog * i) / half)));
  return out;
}
