// Patch embedding (DiT's x_embedder: a stride-p p x p convolution) plus the position table:
//   tokens[n, t, d] = bias[d] + pos[t, d] + sum_{c,i,j} weight[d, c, i, j] * x[n, c, gy*p + i, gx*p + j]
// with t = gy * gridW + gx (row-major over the patch grid). x is NCHW; weight is the PyTorch
// conv weight [D, C, p, p] as stored; tokens are token-major [N * T, D].

struct Params { N: u32, C: u32, H: u32, W: u32, P: u32, D: u32, gridW: u32, T: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> pos: array<f32>;
@group(0) @binding(5) var<storage, read_write> tokens: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  let row = gid.y;            // n * T + t
  if (d >= p.D || row >= p.N * p.T) { return; }
  let n = row / p.T;
  let t = row % p.T;
  let y0 = (t / p.gridW) * p.P;
  let x0 = (t % p.gridW) * p.P;
  let kk = p.C * p.P * p.P;
  var acc = bias[d] + pos[t * p.D + d];
  for (var c = 0u; c < p.C; c = c + 1u) {
    for (var i = 0u; i < p.P; i = i + 1u) {
      let xRow = ((n * p.C + c) * p.H + y0 + i) * p.W + x0;
      let wRow = d * kk + (c * p.P + i) * p.P;
      for (var j = 0u; j < p.P; j = j + 1u) {
        acc = fma(weight[wRow + j], x[xRow + j], acc);
      }
    }
  }
  tokens[row * p.D + d] = acc;
}
