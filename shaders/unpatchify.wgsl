// Unpatchify (DiT's unpatchify, einsum nhwpqc -> nchpwq): from final tokens [N, T, p*p*C]
// (a token's features are the patch flattened as (i, j, c)) to the image out [N, C, H, W]:
//   out[n, c, gy*p + i, gx*p + j] = tokens[n, gy*gridW + gx, (i*p + j)*C + c]
// One invocation per output element; 2-D dispatch: index = gid.x + gid.y * rowWidth.

struct Params { N: u32, C: u32, H: u32, W: u32, P: u32, gridW: u32, rowWidth: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> tokens: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.rowWidth;
  if (idx >= p.N * p.C * p.H * p.W) { return; }
  let w = idx % p.W;
  let h = (idx / p.W) % p.H;
  let c = (idx / (p.W * p.H)) % p.C;
  let n = idx / (p.W * p.H * p.C);
  let t = (h / p.P) * p.gridW + (w / p.P);
  let T = (p.H / p.P) * p.gridW;
  let f = ((h % p.P) * p.P + (w % p.P)) * p.C + c;
  out[idx] = tokens[(n * T + t) * (p.P * p.P * p.C) + f];
}
