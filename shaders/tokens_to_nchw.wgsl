// Token-major rows back to an NCHW band, plus a residual (the attention block's `o + x`):
//   out[n, c, r, x] = tokens[n * H * W + (row0 + r) * W + x, c] + residual[n, c, r, x]
// tokens: [B * H * W, C] for the whole image (token = row * W + col); residual and out: band buffers
// [B, C, rows, W] holding image rows row0 .. row0 + rows (see conv2d.wgsl). One invocation per
// output value, 2-D dispatch: i = gid.x + gid.y * rowWidth.

struct Params { C: u32, H: u32, W: u32, rows: u32, row0: u32, count: u32, rowWidth: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> tokens: array<f32>;
@group(0) @binding(2) var<storage, read> residual: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowWidth;
  if (i >= p.count) { return; }
  let hw = i % (p.rows * p.W);
  let nc = i / (p.rows * p.W);
  let n = nc / p.C;
  let c = nc % p.C;
  out[i] = tokens[(n * p.H * p.W + p.row0 * p.W + hw) * p.C + c] + residual[i];
}
