// Linear layer, register-tiled (matmul_common.wgsl is prepended: layouts, params, epilogues).
//
// Each invocation computes a ROWS x 8 block (ROWS = 4, 8 or 16; override) held in named vec4
// accumulators, two per row; a workgroup of 8 x 8 invocations covers 8·ROWS rows x 64 columns.
// Named variables, not arrays, because CPU adapters (SwiftShader) keep arrays in memory; rows
// past ROWS sit behind constant conditions that the compiler removes. More rows per invocation
// means more FMAs per weight load (SwiftShader, measured: 16 rows ~1.5-2x faster than 4 at the
// DiT-S/2 shapes) but more registers (real GPUs may prefer 4 or the shared-memory kernel): the
// autotune picks (src/gpu/kernel-autotune.ts; choices in src/gpu/matmul-tiles.ts).
// Rows past M are clamped on load and skipped on store; columns past N are computed from the
// zero padding and skipped on store.

override ROWS: u32 = 4u;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 8u;
  let m0 = gid.y * ROWS;
  if (n0 >= p.Np || m0 >= p.M) { return; }
  let last = p.M - 1u;
  let x0 = min(m0 + 0u, last) * p.xStride;
  let x1 = min(m0 + 1u, last) * p.xStride;
  let x2 = min(m0 + 2u, last) * p.xStride;
  let x3 = min(m0 + 3u, last) * p.xStride;
  let x4 = min(m0 + 4u, last) * p.xStride;
  let x5 = min(m0 + 5u, last) * p.xStride;
  let x6 = min(m0 + 6u, last) * p.xStride;
  let x7 = min(m0 + 7u, last) * p.xStride;
  let x8 = min(m0 + 8u, last) * p.xStride;
  let x9 = min(m0 + 9u, last) * p.xStride;
  let xa = min(m0 + 10u, last) * p.xStride;
  let xb = min(m0 + 11u, last) * p.xStride;
  let xc = min(m0 + 12u, last) * p.xStride;
  let xd = min(m0 + 13u, last) * p.xStride;
  let xe = min(m0 + 14u, last) * p.xStride;
  let xf = min(m0 + 15u, last) * p.xStride;
  // w words per row and the first word of this invocation's 8 columns.
  let wRow = select(p.Np / 4u, p.Np / 8u, F16_WEIGHTS);
  var wi = select(n0 / 4u, n0 / 8u, F16_WEIGHTS);
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0);
  var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0);
  var a50 = vec4<f32>(0.0); var a51 = vec4<f32>(0.0);
  var a60 = vec4<f32>(0.0); var a61 = vec4<f32>(0.0);
  var a70 = vec4<f32>(0.0); var a71 = vec4<f32>(0.0);
  var a80 = vec4<f32>(0.0); var a81 = vec4<f32>(0.0);
  var a90 = vec4<f32>(0.0); var a91 = vec4<f32>(0.0);
  var aa0 = vec4<f32>(0.0); var aa1 = vec4<f32>(0.0);
  var ab0 = vec4<f32>(0.0); var ab1 = vec4<f32>(0.0);
  var ac0 = vec4<f32>(0.0); var ac1 = vec4<f32>(0.0);
  var ad0 = vec4<f32>(0.0); var ad1 = vec4<f32>(0.0);
  var ae0 = vec4<f32>(0.0); var ae1 = vec4<f32>(0.0);
  var af0 = vec4<f32>(0.0); var af1 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k = k + 1u) {
    let wc = weights8(wi);
    let w0 = wc.lo;
    let w1 = wc.hi;
    wi = wi + wRow;
    {
      let v0 = vec4<f32>(x[x0 + k]); a00 = fma(v0, w0, a00); a01 = fma(v0, w1, a01);
      let v1 = vec4<f32>(x[x1 + k]); a10 = fma(v1, w0, a10); a11 = fma(v1, w1, a11);
      let v2 = vec4<f32>(x[x2 + k]); a20 = fma(v2, w0, a20); a21 = fma(v2, w1, a21);
      let v3 = vec4<f32>(x[x3 + k]); a30 = fma(v3, w0, a30); a31 = fma(v3, w1, a31);
    }
    if (ROWS >= 8u) {
      let v4 = vec4<f32>(x[x4 + k]); a40 = fma(v4, w0, a40); a41 = fma(v4, w1, a41);
      let v5 = vec4<f32>(x[x5 + k]); a50 = fma(v5, w0, a50); a51 = fma(v5, w1, a51);
      let v6 = vec4<f32>(x[x6 + k]); a60 = fma(v6, w0, a60); a61 = fma(v6, w1, a61);
      let v7 = vec4<f32>(x[x7 + k]); a70 = fma(v7, w0, a70); a71 = fma(v7, w1, a71);
    }
    if (ROWS >= 16u) {
      let v8 = vec4<f32>(x[x8 + k]); a80 = fma(v8, w0, a80); a81 = fma(v8, w1, a81);
      let v9 = vec4<f32>(x[x9 + k]); a90 = fma(v9, w0, a90); a91 = fma(v9, w1, a91);
      let va = vec4<f32>(x[xa + k]); aa0 = fma(va, w0, aa0); aa1 = fma(va, w1, aa1);
      let vb = vec4<f32>(x[xb + k]); ab0 = fma(vb, w0, ab0); ab1 = fma(vb, w1, ab1);
      let vc = vec4<f32>(x[xc + k]); ac0 = fma(vc, w0, ac0); ac1 = fma(vc, w1, ac1);
      let vd = vec4<f32>(x[xd + k]); ad0 = fma(vd, w0, ad0); ad1 = fma(vd, w1, ad1);
      let ve = vec4<f32>(x[xe + k]); ae0 = fma(ve, w0, ae0); ae1 = fma(ve, w1, ae1);
      let vf = vec4<f32>(x[xf + k]); af0 = fma(vf, w0, af0); af1 = fma(vf, w1, af1);
    }
  }
  // Stored from an array in a loop: unrolled, the ROWS x 8 inlined epilogues (each with its bounds
  // check) made SwiftShader's compile of one 16-row pipeline take 2-6 s; this way 0.2-0.5 s.
  var acc = array<vec4<f32>, 32>(a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51, a60, a61, a70, a71,
                                 a80, a81, a90, a91, aa0, aa1, ab0, ab1, ac0, ac1, ad0, ad1, ae0, ae1, af0, af1);
  for (var r = 0u; r < ROWS; r = r + 1u) {
    store_row(m0 + r, n0, acc[2u * r], acc[2u * r + 1u]);
  }
}
