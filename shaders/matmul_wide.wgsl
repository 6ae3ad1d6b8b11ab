// Linear layer, wide workgroup-shared tiles with vec4 loads of both operands, for real GPUs
// (matmul_common.wgsl is prepended, with x bound as vec4s: K must be a multiple of 4).
// A workgroup of 16 x 16 invocations computes a 128-row x 64-column output tile, each
// invocation 8 rows x 4 columns (eight vec4 accumulators). Per step of 16 along k the workgroup
// stages the x tile [128 rows][16] (two vec4 loads per invocation) and the w tile [16][64
// columns] (one vec4 per invocation) in workgroup memory (12 KiB); then per k quad every
// invocation reads 8 x vec4s and 4 w vec4s and does 32 vec4 FMAs. On SwiftShader the
// register-tiled kernel wins; the autotune picks per shape (src/gpu/matmul-tiles.ts).
// Out-of-range rows and k are staged as zeros; rows and columns past the end are not stored.

const TILE_K: u32 = 16u;

var<workgroup> xs: array<vec4<f32>, 512>;  // [128 rows][TILE_K / 4 quads]
var<workgroup> ws: array<vec4<f32>, 256>;  // [TILE_K][16 column quads]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * 128u;
  let col0 = wg.x * 64u;
  let k4 = p.K / 4u;  // x row length in vec4s (xStride = K)
  var acc: array<vec4<f32>, 8>;
  for (var r = 0u; r < 8u; r = r + 1u) { acc[r] = vec4<f32>(0.0); }
  // Staging roles: w: k row li / 16, column quad li % 16.
  let wk = li / 16u;
  let wq = col0 / 4u + li % 16u;
  for (var k0 = 0u; k0 < p.K; k0 = k0 + TILE_K) {
    for (var j = 0u; j < 2u; j = j + 1u) {
      let e = li + j * 256u;        // element e: row e / 4, k quad e % 4
      let m = row0 + e / 4u;
      let kq = k0 / 4u + e % 4u;
      var v = vec4<f32>(0.0);
      if (m < p.M && kq < k4) { v = x[m * k4 + kq]; }
      xs[e] = v;
    }
    let k = k0 + wk;
    var wv = vec4<f32>(0.0);
    if (k < p.K && wq * 4u < p.Np) {
      if (F16_WEIGHTS) {
        let h = w[k * (p.Np / 8u) + wq / 2u];
        wv = select(vec4<f32>(unpack2x16float(h.x), unpack2x16float(h.y)),
                    vec4<f32>(unpack2x16float(h.z), unpack2x16float(h.w)), (wq % 2u) == 1u);
      } else {
        wv = bitcast<vec4<f32>>(w[k * (p.Np / 4u) + wq]);
      }
    }
    ws[wk * 16u + li % 16u] = wv;
    workgroupBarrier();
    for (var q = 0u; q < TILE_K / 4u; q = q + 1u) {
      let w0 = ws[(4u * q + 0u) * 16u + lid.x];
      let w1 = ws[(4u * q + 1u) * 16u + lid.x];
      let w2 = ws[(4u * q + 2u) * 16u + lid.x];
      let w3 = ws[(4u * q + 3u) * 16u + lid.x];
      for (var r = 0u; r < 8u; r = r + 1u) {
        let xv = xs[(lid.y * 8u + r) * 4u + q];
        var a = acc[r];
        a = fma(vec4<f32>(xv.x), w0, a);
        a = fma(vec4<f32>(xv.y), w1, a);
        a = fma(vec4<f32>(xv.z), w2, a);
        a = fma(vec4<f32>(xv.w), w3, a);
        acc[r] = a;
      }
    }
    workgroupBarrier();
  }
  let n = col0 + lid.x * 4u;
  for (var r = 0u; r < 8u; r = r + 1u) { store4(row0 + lid.y * 8u + r, n, acc[r]); }
}
