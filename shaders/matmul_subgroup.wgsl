// Linear layer, register-tiled with subgroup sharing of x (matmul_common.wgsl is prepended:
// layouts, params, epilogues), for adapters that offer `subgroups`. As matmul.wgsl with 16 rows
// x 8 columns per invocation, but the workgroup is one row of LANES invocations (all share the same
// 16 rows of x; 64, 16 or 4, picked per shape by the autotune), so x is loaded once per subgroup: for each step of 4 along k, lane l loads
// x[row, k + l % 4] and the 4 values reach every lane by subgroupBroadcast (4 loads per row
// instead of 16 per 4 k). Every lane stays in the loop (uniform control flow for the
// broadcasts); columns past Np clamp their weight reads and skip their stores.
// (`enable subgroups;` is put in front of the common part by the host: directives come first.)

override LANES: u32 = 64u;

@compute @workgroup_size(LANES, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let n0 = gid.x * 8u;
  let m0 = gid.y * 16u;
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
  let wRow = select(p.Np / 4u, p.Np / 8u, F16_WEIGHTS);
  let nc = min(n0, p.Np - 8u);
  var wi = select(nc / 4u, nc / 8u, F16_WEIGHTS);
  let l4 = lane % 4u;
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
  var k = 0u;
  for (; k + 4u <= p.K; k = k + 4u) {
    let s0 = x[x0 + k + l4];
    let s1 = x[x1 + k + l4];
    let s2 = x[x2 + k + l4];
    let s3 = x[x3 + k + l4];
    let s4 = x[x4 + k + l4];
    let s5 = x[x5 + k + l4];
    let s6 = x[x6 + k + l4];
    let s7 = x[x7 + k + l4];
    let s8 = x[x8 + k + l4];
    let s9 = x[x9 + k + l4];
    let sa = x[xa + k + l4];
    let sb = x[xb + k + l4];
    let sc = x[xc + k + l4];
    let sd = x[xd + k + l4];
    let se = x[xe + k + l4];
    let sf = x[xf + k + l4];
    {
      let wc = weights8(wi);
      let w0 = wc.lo;
      let w1 = wc.hi;
      wi = wi + wRow;
      let v0 = vec4<f32>(subgroupBroadcast(s0, 0u)); a00 = fma(v0, w0, a00); a01 = fma(v0, w1, a01);
      let v1 = vec4<f32>(subgroupBroadcast(s1, 0u)); a10 = fma(v1, w0, a10); a11 = fma(v1, w1, a11);
      let v2 = vec4<f32>(subgroupBroadcast(s2, 0u)); a20 = fma(v2, w0, a20); a21 = fma(v2, w1, a21);
      let v3 = vec4<f32>(subgroupBroadcast(s3, 0u)); a30 = fma(v3, w0, a30); a31 = fma(v3, w1, a31);
      let v4 = vec4<f32>(subgroupBroadcast(s4, 0u)); a40 = fma(v4, w0, a40); a41 = fma(v4, w1, a41);
      let v5 = vec4<f32>(subgroupBroadcast(s5, 0u)); a50 = fma(v5, w0, a50); a51 = fma(v5, w1, a51);
      let v6 = vec4<f32>(subgroupBroadcast(s6, 0u)); a60 = fma(v6, w0, a60); a61 = fma(v6, w1, a61);
      let v7 = vec4<f32>(subgroupBroadcast(s7, 0u)); a70 = fma(v7, w0, a70); a71 = fma(v7, w1, a71);
      let v8 = vec4<f32>(subgroupBroadcast(s8, 0u)); a80 = fma(v8, w0, a80); a81 = fma(v8, w1, a81);
      let v9 = vec4<f32>(subgroupBroadcast(s9, 0u)); a90 = fma(v9, w0, a90); a91 = fma(v9, w1, a91);
      let va = vec4<f32>(subgroupBroadcast(sa, 0u)); aa0 = fma(va, w0, aa0); aa1 = fma(va, w1, aa1);
      let vb = vec4<f32>(subgroupBroadcast(sb, 0u)); ab0 = fma(vb, w0, ab0); ab1 = fma(vb, w1, ab1);
      let vc = vec4<f32>(subgroupBroadcast(sc, 0u)); ac0 = fma(vc, w0, ac0); ac1 = fma(vc, w1, ac1);
      let vd = vec4<f32>(subgroupBroadcast(sd, 0u)); ad0 = fma(vd, w0, ad0); ad1 = fma(vd, w1, ad1);
      let ve = vec4<f32>(subgroupBroadcast(se, 0u)); ae0 = fma(ve, w0, ae0); ae1 = fma(ve, w1, ae1);
      let vf = vec4<f32>(subgroupBroadcast(sf, 0u)); af0 = fma(vf, w0, af0); af1 = fma(vf, w1, af1);
    }
    {
      let wc = weights8(wi);
      let w0 = wc.lo;
      let w1 = wc.hi;
      wi = wi + wRow;
      let v0 = vec4<f32>(subgroupBroadcast(s0, 1u)); a00 = fma(v0, w0, a00); a01 = fma(v0, w1, a01);
      let v1 = vec4<f32>(subgroupBroadcast(s1, 1u)); a10 = fma(v1, w0, a10); a11 = fma(v1, w1, a11);
      let v2 = vec4<f32>(subgroupBroadcast(s2, 1u)); a20 = fma(v2, w0, a20); a21 = fma(v2, w1, a21);
      let v3 = vec4<f32>(subgroupBroadcast(s3, 1u)); a30 = fma(v3, w0, a30); a31 = fma(v3, w1, a31);
      let v4 = vec4<f32>(subgroupBroadcast(s4, 1u)); a40 = fma(v4, w0, a40); a41 = fma(v4, w1, a41);
      let v5 = vec4<f32>(subgroupBroadcast(s5, 1u)); a50 = fma(v5, w0, a50); a51 = fma(v5, w1, a51);
      let v6 = vec4<f32>(subgroupBroadcast(s6, 1u)); a60 = fma(v6, w0, a60); a61 = fma(v6, w1, a61);
      let v7 = vec4<f32>(subgroupBroadcast(s7, 1u)); a70 = fma(v7, w0, a70); a71 = fma(v7, w1, a71);
      let v8 = vec4<f32>(subgroupBroadcast(s8, 1u)); a80 = fma(v8, w0, a80); a81 = fma(v8, w1, a81);
      let v9 = vec4<f32>(subgroupBroadcast(s9, 1u)); a90 = fma(v9, w0, a90); a91 = fma(v9, w1, a91);
      let va = vec4<f32>(subgroupBroadcast(sa, 1u)); aa0 = fma(va, w0, aa0); aa1 = fma(va, w1, aa1);
      let vb = vec4<f32>(subgroupBroadcast(sb, 1u)); ab0 = fma(vb, w0, ab0); ab1 = fma(vb, w1, ab1);
      let vc = vec4<f32>(subgroupBroadcast(sc, 1u)); ac0 = fma(vc, w0, ac0); ac1 = fma(vc, w1, ac1);
      let vd = vec4<f32>(subgroupBroadcast(sd, 1u)); ad0 = fma(vd, w0, ad0); ad1 = fma(vd, w1, ad1);
      let ve = vec4<f32>(subgroupBroadcast(se, 1u)); ae0 = fma(ve, w0, ae0); ae1 = fma(ve, w1, ae1);
      let vf = vec4<f32>(subgroupBroadcast(sf, 1u)); af0 = fma(vf, w0, af0); af1 = fma(vf, w1, af1);
    }
    {
      let wc = weights8(wi);
      let w0 = wc.lo;
      let w1 = wc.hi;
      wi = wi + wRow;
      let v0 = vec4<f32>(subgroupBroadcast(s0, 2u)); a00 = fma(v0, w0, a00); a01 = fma(v0, w1, a01);
      let v1 = vec4<f32>(subgroupBroadcast(s1, 2u)); a10 = fma(v1, w0, a10); a11 = fma(v1, w1, a11);
      let v2 = vec4<f32>(subgroupBroadcast(s2, 2u)); a20 = fma(v2, w0, a20); a21 = fma(v2, w1, a21);
      let v3 = vec4<f32>(subgroupBroadcast(s3, 2u)); a30 = fma(v3, w0, a30); a31 = fma(v3, w1, a31);
      let v4 = vec4<f32>(subgroupBroadcast(s4, 2u)); a40 = fma(v4, w0, a40); a41 = fma(v4, w1, a41);
      let v5 = vec4<f32>(subgroupBroadcast(s5, 2u)); a50 = fma(v5, w0, a50); a51 = fma(v5, w1, a51);
      let v6 = vec4<f32>(subgroupBroadcast(s6, 2u)); a60 = fma(v6, w0, a60); a61 = fma(v6, w1, a61);
      let v7 = vec4<f32>(subgroupBroadcast(s7, 2u)); a70 = fma(v7, w0, a70); a71 = fma(v7, w1, a71);
      let v8 = vec4<f32>(subgroupBroadcast(s8, 2u)); a80 = fma(v8, w0, a80); a81 = fma(v8, w1, a81);
      let v9 = vec4<f32>(subgroupBroadcast(s9, 2u)); a90 = fma(v9, w0, a90); a91 = fma(v9, w1, a91);
      let va = vec4<f32>(subgroupBroadcast(sa, 2u)); aa0 = fma(va, w0, aa0); aa1 = fma(va, w1, aa1);
      let vb = vec4<f32>(subgroupBroadcast(sb, 2u)); ab0 = fma(vb, w0, ab0); ab1 = fma(vb, w1, ab1);
      let vc = vec4<f32>(subgroupBroadcast(sc, 2u)); ac0 = fma(vc, w0, ac0); ac1 = fma(vc, w1, ac1);
      let vd = vec4<f32>(subgroupBroadcast(sd, 2u)); ad0 = fma(vd, w0, ad0); ad1 = fma(vd, w1, ad1);
      let ve = vec4<f32>(subgroupBroadcast(se, 2u)); ae0 = fma(ve, w0, ae0); ae1 = fma(ve, w1, ae1);
      let vf = vec4<f32>(subgroupBroadcast(sf, 2u)); af0 = fma(vf, w0, af0); af1 = fma(vf, w1, af1);
    }
    {
      let wc = weights8(wi);
      let w0 = wc.lo;
      let w1 = wc.hi;
      wi = wi + wRow;
      let v0 = vec4<f32>(subgroupBroadcast(s0, 3u)); a00 = fma(v0, w0, a00); a01 = fma(v0, w1, a01);
      let v1 = vec4<f32>(subgroupBroadcast(s1, 3u)); a10 = fma(v1, w0, a10); a11 = fma(v1, w1, a11);
      let v2 = vec4<f32>(subgroupBroadcast(s2, 3u)); a20 = fma(v2, w0, a20); a21 = fma(v2, w1, a21);
      let v3 = vec4<f32>(subgroupBroadcast(s3, 3u)); a30 = fma(v3, w0, a30); a31 = fma(v3, w1, a31);
      let v4 = vec4<f32>(subgroupBroadcast(s4, 3u)); a40 = fma(v4, w0, a40); a41 = fma(v4, w1, a41);
      let v5 = vec4<f32>(subgroupBroadcast(s5, 3u)); a50 = fma(v5, w0, a50); a51 = fma(v5, w1, a51);
      let v6 = vec4<f32>(subgroupBroadcast(s6, 3u)); a60 = fma(v6, w0, a60); a61 = fma(v6, w1, a61);
      let v7 = vec4<f32>(subgroupBroadcast(s7, 3u)); a70 = fma(v7, w0, a70); a71 = fma(v7, w1, a71);
      let v8 = vec4<f32>(subgroupBroadcast(s8, 3u)); a80 = fma(v8, w0, a80); a81 = fma(v8, w1, a81);
      let v9 = vec4<f32>(subgroupBroadcast(s9, 3u)); a90 = fma(v9, w0, a90); a91 = fma(v9, w1, a91);
      let va = vec4<f32>(subgroupBroadcast(sa, 3u)); aa0 = fma(va, w0, aa0); aa1 = fma(va, w1, aa1);
      let vb = vec4<f32>(subgroupBroadcast(sb, 3u)); ab0 = fma(vb, w0, ab0); ab1 = fma(vb, w1, ab1);
      let vc = vec4<f32>(subgroupBroadcast(sc, 3u)); ac0 = fma(vc, w0, ac0); ac1 = fma(vc, w1, ac1);
      let vd = vec4<f32>(subgroupBroadcast(sd, 3u)); ad0 = fma(vd, w0, ad0); ad1 = fma(vd, w1, ad1);
      let ve = vec4<f32>(subgroupBroadcast(se, 3u)); ae0 = fma(ve, w0, ae0); ae1 = fma(ve, w1, ae1);
      let vf = vec4<f32>(subgroupBroadcast(sf, 3u)); af0 = fma(vf, w0, af0); af1 = fma(vf, w1, af1);
    }
  }
  for (; k < p.K; k = k + 1u) {
    let wc = weights8(wi);
    let w0 = wc.lo;
    let w1 = wc.hi;
    wi = wi + wRow;
    let v0 = vec4<f32>(x[x0 + k]); a00 = fma(v0, w0, a00); a01 = fma(v0, w1, a01);
    let v1 = vec4<f32>(x[x1 + k]); a10 = fma(v1, w0, a10); a11 = fma(v1, w1, a11);
    let v2 = vec4<f32>(x[x2 + k]); a20 = fma(v2, w0, a20); a21 = fma(v2, w1, a21);
    let v3 = vec4<f32>(x[x3 + k]); a30 = fma(v3, w0, a30); a31 = fma(v3, w1, a31);
    let v4 = vec4<f32>(x[x4 + k]); a40 = fma(v4, w0, a40); a41 = fma(v4, w1, a41);
    let v5 = vec4<f32>(x[x5 + k]); a50 = fma(v5, w0, a50); a51 = fma(v5, w1, a51);
    let v6 = vec4<f32>(x[x6 + k]); a60 = fma(v6, w0, a60); a61 = fma(v6, w1, a61);
    let v7 = vec4<f32>(x[x7 + k]); a70 = fma(v7, w0, a70); a71 = fma(v7, w1, a71);
    let v8 = vec4<f32>(x[x8 + k]); a80 = fma(v8, w0, a80); a81 = fma(v8, w1, a81);
    let v9 = vec4<f32>(x[x9 + k]); a90 = fma(v9, w0, a90); a91 = fma(v9, w1, a91);
    let va = vec4<f32>(x[xa + k]); aa0 = fma(va, w0, aa0); aa1 = fma(va, w1, aa1);
    let vb = vec4<f32>(x[xb + k]); ab0 = fma(vb, w0, ab0); ab1 = fma(vb, w1, ab1);
    let vc = vec4<f32>(x[xc + k]); ac0 = fma(vc, w0, ac0); ac1 = fma(vc, w1, ac1);
    let vd = vec4<f32>(x[xd + k]); ad0 = fma(vd, w0, ad0); ad1 = fma(vd, w1, ad1);
    let ve = vec4<f32>(x[xe + k]); ae0 = fma(ve, w0, ae0); ae1 = fma(ve, w1, ae1);
    let vf = vec4<f32>(x[xf + k]); af0 = fma(vf, w0, af0); af1 = fma(vf, w1, af1);
  }
  if (n0 >= p.Np || m0 >= p.M) { return; }
  // Stored from an array in a loop, as matmul.wgsl (unrolled, the 128 epilogues cost seconds of compile on SwiftShader).
  var acc = array<vec4<f32>, 32>(a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51, a60, a61, a70, a71,
                                 a80, a81, a90, a91, aa0, aa1, ab0, ab1, ac0, ac1, ad0, ad1, ae0, ae1, af0, af1);
  for (var r = 0u; r < 16u; r = r + 1u) {
    store_row(m0 + r, n0, acc[2u * r], acc[2u * r + 1u]);
  }
}
