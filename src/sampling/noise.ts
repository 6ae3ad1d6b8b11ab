/**
 * Seeded Gaussian noise that is bit-identical in every JavaScript host.
 *
 * Generator: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11),
 * the counter-based generator of Random123, cuRAND and JAX. Being counter-based, value j of any
 * stream is a pure function of (seed, stream, j): nothing depends on how many numbers were drawn
 * before or in which order streams are used.
 *
 *   key     = [seed mod 2^32, floor(seed / 2^32)]           (seed: safe integer >= 0)
 *   counter = [block mod 2^32, floor(block / 2^32), stream, 0]
 *   block b yields 32-bit words x0..x3 and four normals n[4b..4b+3].
 *
 * Box-Muller on the word pairs (x0, x1) -> (n[4b], n[4b+1]) and (x2, x3) -> (n[4b+2], n[4b+3]):
 *
 *   u = (x_even + 1) / 2^32          in (0, 1]   (never 0, so the log is finite; |n| <= 6.66)
 *   w =  x_odd       / 2^32          in [0, 1)
 *   r = sqrt(-2 ln u),  n_first = r cos(2 pi w),  n_second = r sin(2 pi w)
 *
 * computed in float64 and rounded once to float32. Math.log/cos/sin are implementation-defined
 * in ECMAScript (engines may differ in the last ulp), so ln, cos and sin here are evaluated with
 * fixed series that use only +, -, *, / and Math.sqrt, which IEEE 754 makes exact-rounded
 * everywhere. Their float64 error is ~1e-16, far below the float32 rounding of the result.
 *
 * Sampling uses stream 0 for the initial latent and stream k + 1 for the noise of sampling step k
 * (k = 0 is the first, noisiest step), see `initialLatent` and `seededStepNoise`.
 */

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;

/** High 32 bits of the 64-bit product of two uint32 (via 16-bit halves: a*b overflows float64). */
function mulhi32(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lohi = aLo * bHi, hilo = aHi * bLo;
  const carry = ((aLo * bLo) >>> 16) + (lohi & 0xffff) + (hilo & 0xffff);
  return (aHi * bHi + (lohi >>> 16) + (hilo >>> 16) + (carry >>> 16)) >>> 0;
}

/** Philox4x32 with 10 rounds. Writes the 4 output words into `out`. */
export function philox4x32_10(counter: ArrayLike<number>, key: ArrayLike<number>, out: Uint32Array = new Uint32Array(4)): Uint32Array {
  let c0 = counter[0] >>> 0, c1 = counter[1] >>> 0, c2 = counter[2] >>> 0, c3 = counter[3] >>> 0;
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const hi0 = mulhi32(PHILOX_M0, c0), lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulhi32(PHILOX_M1, c2), lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
  return out;
}

// ---- deterministic float64 ln / sin / cos (only IEEE-exact operations) ----

const LN2_HI = 6.93147180369123816490e-1; // ln 2 split so k * LN2_HI is exact for |k| < 2^20 (fdlibm)
const LN2_LO = 1.90821492927058770002e-10;
const SQRT2 = 1.4142135623730951;
const TWO_PI = 6.283185307179586;

/** 1/(2k+1) for ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), |s| <= 0.1716: 13 terms reach 1e-19. */
const ATANH_COEFFS = Array.from({ length: 13 }, (_, k) => 1 / (2 * k + 1));
/** (-1)^k / (2k+1)! and (-1)^k / (2k)! for |a| <= pi/4: 10 terms reach 1e-19. */
const SIN_COEFFS: number[] = [];
const COS_COEFFS: number[] = [];
for (let k = 0, fact = 1; k < 10; k++) {
  COS_COEFFS.push((k % 2 ? -1 : 1) / fact); // fact = (2k)!
  fact *= 2 * k + 1;
  SIN_COEFFS.push((k % 2 ? -1 : 1) / fact); // fact = (2k+1)!
  fact *= 2 * k + 2;
}

function horner(coeffs: readonly number[], z: number): number {
  let acc = coeffs[coeffs.length - 1];
  for (let i = coeffs.length - 2; i >= 0; i--) acc = acc * z + coeffs[i];
  return acc;
}

/** ln(v / 2^32) for an integer v in [1, 2^32]. */
export function logOfUnitInterval(v: number): number {
  if (v === TWO_POW_32) return 0;
  let e = 31 - Math.clz32(v);
  let m = v / 2 ** e; // exact, in [1, 2)
  if (m > SQRT2) { m /= 2; e += 1; } // m in (sqrt(1/2), sqrt(2)]
  const s = (m - 1) / (m + 1);
  const lnM = 2 * s * horner(ATANH_COEFFS, s * s);
  const k = e - 32;
  return k * LN2_HI + (k * LN2_LO + lnM);
}

/** [cos, sin] of 2 pi y / 2^32 for an integer y in [0, 2^32). */
export function cosSinOfTurn(y: number): [number, number] {
  const quadrant = Math.floor((y + 2 ** 29) / 2 ** 30); // nearest quarter turn, 0..4
  const a = ((y - quadrant * 2 ** 30) / TWO_POW_32) * TWO_PI; // |a| <= pi/4; the division is exact
  const a2 = a * a;
  const c = horner(COS_COEFFS, a2);
  const s = a * horner(SIN_COEFFS, a2);
  switch (quadrant % 4) {
    case 0: return [c, s];
    case 1: return [-s, c];
    case 2: return [-c, -s];
    default: return [s, -c];
  }
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`noise seed must be a non-negative safe integer, got ${seed}`);
}

/**
 * `count` standard normals (float32) of stream `stream` under `seed`, starting at value `offset`
 * of that stream. Value j is the same whatever count/offset asked for it.
 */
export function gaussian(seed: number, count: number, stream = 0, offset = 0): Float32Array {
  checkSeed(seed);
  if (!Number.isInteger(stream) || stream < 0 || stream >= TWO_POW_32) throw new Error(`noise stream must be an integer in [0, 2^32), got ${stream}`);
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`noise count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`noise offset must be a non-negative integer, got ${offset}`);
  const out = new Float32Array(count);
  const key = [seed % TWO_POW_32, Math.floor(seed / TWO_POW_32)];
  const counter = [0, 0, stream, 0];
  const words = new Uint32Array(4);
  const normals = new Float64Array(4);
  let block = -1;
  for (let i = 0; i < count; i++) {
    const j = offset + i;
    const b = Math.floor(j / 4);
    if (b !== block) {
      block = b;
      counter[0] = b % TWO_POW_32;
      counter[1] = Math.floor(b / TWO_POW_32);
      philox4x32_10(counter, key, words);
      for (let pair = 0; pair < 2; pair++) {
        const r = Math.sqrt(-2 * logOfUnitInterval(words[2 * pair] + 1));
        const [cos, sin] = cosSinOfTurn(words[2 * pair + 1]);
        normals[2 * pair] = r * cos;
        normals[2 * pair + 1] = r * sin;
      }
    }
    out[i] = normals[j % 4];
  }
  return out;
}

/** Stream of the initial latent z. */
export const LATENT_STREAM = 0;

/** Stream of the noise added at sampling step k (k = 0 is the first, noisiest step). */
export function stepNoiseStream(step: number): number {
  return step + 1;
}

/** The initial latent z: `count` normals of stream 0. */
export function initialLatent(seed: number, count: number): Float32Array {
  return gaussian(seed, count, LATENT_STREAM);
}

/** Per-step noise source for `sampleLoop`: step k draws from stream k + 1. */
export type StepNoise = (step: number, count: number) => Float32Array;

export function seededStepNoise(seed: number): StepNoise {
  checkSeed(seed);
  return (step, count) => gaussian(seed, count, stepNoiseStream(step));
}
