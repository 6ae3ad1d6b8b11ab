// One reverse-diffusion update, elementwise over the latent, after guidance. x is updated in
// place; x0 receives the model's estimate of the clean latent (the preview shows it, and
// DPM-Solver++ reads the previous step's estimate from it before overwriting it).
//
// Layouts: x, noise, x0 [rows, C, HW]; model [rows, modelC, HW] with eps in channels 0..C-1 and,
// with learned sigma, the variance interpolation v in channels C..2C-1.
// Per-step scalars (float32, computed on the CPU in float64 from the schedule) in `coef`:
//   0 sqrt(1/abar_t)   1 sqrt(1/abar_t - 1)   2 clip x0 to [-1, 1] when 1
//   MODE 0, DDPM (learned range):  3 coef1  4 coef2  5 log(beta_t)  6 log(beta~_t) clipped  7 1 if noise is added
//   MODE 1, DDIM:                  3 sqrt(abar_prev)  4 sqrt(1 - abar_prev - sigma^2)  5 sigma
//   MODE 2, DPM-Solver++(2M):      3 sigma_next/sigma_t  4 -alpha_next*expm1(-h)  5 w(x0)  6 w(x0 of the previous step)

struct Params { count: u32, C: u32, HW: u32, modelC: u32, rowWidth: u32 }

override MODE: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coef: array<f32>;
@group(0) @binding(2) var<storage, read> model: array<f32>;
@group(0) @binding(3) var<storage, read> noise: array<f32>;
@group(0) @binding(4) var<storage, read_write> x: array<f32>;
@group(0) @binding(5) var<storage, read_write> x0: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowWidth;
  if (i >= p.count) { return; }
  let perRow = p.C * p.HW;
  let row = i / perRow;
  let within = i % perRow;
  let eps = model[row * p.modelC * p.HW + within];
  let xt = x[i];
  var pred = coef[0] * xt - coef[1] * eps;
  if (coef[2] > 0.5) { pred = clamp(pred, -1.0, 1.0); }
  switch MODE {
    case 0u: {
      let mean = coef[3] * pred + coef[4] * xt;
      let v = model[row * p.modelC * p.HW + perRow + within];
      let frac = (v + 1.0) * 0.5;
      let logVar = frac * coef[5] + (1.0 - frac) * coef[6];
      x[i] = mean + coef[7] * exp(0.5 * logVar) * noise[i];
    }
    case 1u: {
      let epsFromX0 = (coef[0] * xt - pred) / coef[1];
      x[i] = pred * coef[3] + coef[4] * epsFromX0 + coef[5] * noise[i];
    }
    default: {
      let d = coef[5] * pred + coef[6] * x0[i];
      x[i] = coef[3] * xt + coef[4] * d;
    }
  }
  x0[i] = pred;
}
