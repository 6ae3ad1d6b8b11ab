// Sinusoidal timestep features (DiT's TimestepEmbedder.timestep_embedding):
//   out[n, i] = cos(t[n] * freq[i]),  out[n, half + i] = sin(t[n] * freq[i]),  i < half
// with freq[i] = exp(-ln(max_period) * i / half) precomputed on the CPU in float32 arithmetic
// (as PyTorch computes it); t * freq is rounded to f32 like the reference.
// sin/cos are computed here, not with the builtins: WGSL only promises 2^-11 absolute error
// for those (SwiftShader's cos is off by ~2e-4), and the arguments reach ~1000 rad. So: a
// three-part Cody-Waite reduction by pi/2, then Cephes' single-precision polynomials.

struct Params { N: u32, half: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> t: array<f32>;
@group(0) @binding(2) var<storage, read> freq: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TWO_OVER_PI: f32 = 0.63661977236758134;
const PIO2_1: f32 = 1.5703125;                 // 8 significant bits: j * PIO2_1 is exact
const PIO2_2: f32 = 4.837512969970703125e-4;
const PIO2_3: f32 = 7.54978995489188216e-8;

fn sin_poly(x: f32) -> f32 {  // |x| <= pi/4
  let z = x * x;
  return x + x * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
}

fn cos_poly(x: f32) -> f32 {  // |x| <= pi/4
  let z = x * x;
  return 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
}

/// (cos(a), sin(a)) accurate to a few f32 ulps for |a| up to ~1e4.
fn cos_sin(a: f32) -> vec2<f32> {
  let j = round(a * TWO_OVER_PI);
  let r = ((a - j * PIO2_1) - j * PIO2_2) - j * PIO2_3;
  let c = cos_poly(r);
  let s = sin_poly(r);
  switch (i32(j) & 3) {
    case 0: { return vec2<f32>(c, s); }
    case 1: { return vec2<f32>(-s, c); }
    case 2: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let n = gid.y;
  if (i >= p.half || n >= p.N) { return; }
  let cs = cos_sin(t[n] * freq[i]);
  let row = n * 2u * p.half;
  out[row + i] = cs.x;
  out[row + p.half + i] = cs.y;
}
