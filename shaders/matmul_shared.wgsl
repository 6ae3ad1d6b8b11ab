// Linear layer, workgroup-shared tiles (matmul_common.wgsl is prepended: layouts, params,
// epilogues). The classic GPU layout: a workgroup of 16 x 16 invocations computes a 64 x 64
// output tile; per step of 16 along k it stages the x tile [64 rows x 16] and the w tile
// [16 x 64 columns] in workgroup memory (each invocation loads 4 x values and one weight
// vec4), then every invocation accumulates its 4 rows x 4 columns from there. Global memory is
// read once per tile instead of once per invocation. On real GPUs this usually wins; on
// SwiftShader it loses to the register-tiled kernel (matmul.wgsl): the autotune picks.
// Out-of-range rows, columns and k are staged as zeros and skipped on store.

const TILE_K: u32 = 16u;

var<workgroup> xs: array<f32, 1024>;        // [64 rows][TILE_K]
var<workgroup> ws: array<vec4<f32>, 256>;   // [TILE_K][16 column quads]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  var a0 = vec4<f32>(0.0); var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0); var a3 = vec4<f32>(0.0);
  // Staging roles: x: row li / 4, k quarter li % 4 (4 values); w: k row li / 16, column quad li % 16.
  let xr = row0 + li / 4u;
  let xk = (li % 4u) * 4u;
  let wk = li / 16u;
  let wq = col0 / 4u + li % 16u;  // column quad index in the padded row
  for (var k0 = 0u; k0 < p.K; k0 = k0 + TILE_K) {
    for (var j = 0u; j < 4u; j = j + 1u) {
      let k = k0 + xk + j;
      var v = 0.0;
      if (xr < p.M && k < p.K) { v = x[xr * p.xStride + k]; }
      xs[(li / 4u) * TILE_K + xk + j] = v;
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
    for (var kk = 0u; kk < TILE_K; kk = kk + 1u) {
      let wq4 = ws[kk * 16u + lid.x];
      let r = lid.y * 4u;
      a0 = fma(vec4<f32>(xs[(r + 0u) * TILE_K + kk]), wq4, a0);
      a1 = fma(vec4<f32>(xs[(r + 1u) * TILE_K + kk]), wq4, a1);
      a2 = fma(vec4<f32>(xs[(r + 2u) * TILE_K + kk]), wq4, a2);
      a3 = fma(vec4<f32>(xs[(r + 3u) * TILE_K + kk]), wq4, a3);
    }
    workgroupBarrier();
  }
  let m = row0 + lid.y * 4u;
  let n = col0 + lid.x * 4u;
  store4(m + 0u, n, a0); store4(m + 1u, n, a1); store4(m + 2u, n, a2); store4(m + 3u, n, a3);
}
