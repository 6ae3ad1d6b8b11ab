/** Seeded data for tests and benchmarks: mulberry32 uniforms and Box–Muller normals (never zeros). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(seed: number, count: number, scale = 1): Float32Array {
  const u = rng(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    out[i] = scale * r * Math.cos(2 * Math.PI * u());
  }
  return out;
}

export function randint(seed: number, count: number, max: number): Int32Array {
  const u = rng(seed);
  return Int32Array.from({ length: count }, () => Math.floor(u() * max));
}
