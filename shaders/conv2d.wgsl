// 2-D convolution as PyTorch's Conv2d (cross-correlation, no kernel flip): 3x3 with zero padding 1,
// or 1x1, with the bias fused and, optionally, a residual add and a nearest-2x upsample of the input:
//   out[n, o, y, x] = bias[o] + sum_{i, ky, kx} w[o, i, ky, kx] * u[n, i, y + ky - PAD, x + kx - PAD]
//                     (+ residual[n, o, y, x] when RESIDUAL)
// where u = in, or u[., ., y, x] = in[., ., y / 2, x / 2] when UPSAMPLE (so Hout = 2 Hin), and u is
// zero outside the (upsampled) image.
//
// Layouts: activations NCHW, split into row bands: a band buffer is [B, C, bufRows, W] and holds image
// rows bufRow0 .. bufRow0 + bufRows (a whole tensor is one band). A dispatch writes output rows
// outRow0 .. outRow0 + outRows, all inside one output band, and reads the input band `cur` plus the
// bands just before and after it (`prev`, `next`) for the one halo row of a 3x3 tap; bind `cur`
// again where there is no such band. The residual has the output's size, in its own band buffer.
// Weights are re-packed once at load from PyTorch's [Cout, Cin, K, K] to [Cin * K * K, CoutPad]
// (tap-major; CoutPad = Cout rounded up to 8, padding columns zero), read as vec4s.
//
// Tiling: an invocation computes 4 adjacent pixels of one output row x 8 output channels (eight vec4
// accumulators); a workgroup of 8 x 8 covers 32 pixels x 64 channels. gid.x: pixel quads over the
// dispatch's rows (row-major), gid.y: block of 8 output channels, gid.z: sample. No shared memory:
// an input value is reused for 8 channels x K taps from registers, a weight vec4 for 4 pixels.
//
// Bindings: 1 prev, 2 cur, 3 next, 4 weights, 5 bias, 6 residual (any buffer when RESIDUAL is off),
// 7 out.

override KSIZE: u32 = 3u;     // 3 (padding 1) or 1 (no padding)
override UPSAMPLE: bool = false;
override RESIDUAL: bool = false;

struct Params {
  Cin: u32, Cout: u32, CoutPad: u32,
  Hin: u32, Win: u32, Hout: u32, Wout: u32,
  quads: u32,                       // ceil(Wout / 4)
  outRow0: u32, outRows: u32,       // the rows this dispatch writes
  outBufRow0: u32, outBufRows: u32, // the rows the output buffer holds
  resBufRow0: u32, resBufRows: u32,
  prevRow0: u32, prevRows: u32,
  curRow0: u32, curRows: u32,
  nextRow0: u32, nextRows: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> prev: array<f32>;
@group(0) @binding(2) var<storage, read> cur: array<f32>;
@group(0) @binding(3) var<storage, read> next: array<f32>;
@group(0) @binding(4) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> residual: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

const NONE: u32 = 0u;
const PREV: u32 = 1u;
const CUR: u32 = 2u;
const NEXT: u32 = 3u;

// Where input row r (of the input image) lives: which buffer, the offset of channel 0 of sample n,
// and the stride between channels in that buffer. Rows outside the image read as zero (NONE).
struct RowRef { buf: u32, base: u32, stride: u32 }

fn row_ref(n: u32, r: i32) -> RowRef {
  if (r < 0 || r >= i32(p.Hin)) { return RowRef(NONE, 0u, 0u); }
  let ur = u32(r);
  var buf = CUR; var row0 = p.curRow0; var rows = p.curRows;
  if (ur < p.curRow0) { buf = PREV; row0 = p.prevRow0; rows = p.prevRows; }
  else if (ur >= p.curRow0 + p.curRows) { buf = NEXT; row0 = p.nextRow0; rows = p.nextRows; }
  return RowRef(buf, (n * p.Cin * rows + (ur - row0)) * p.Win, rows * p.Win);
}

fn fetch(buf: u32, i: u32) -> f32 {
  switch buf {
    case 1u: { return prev[i]; }
    case 2u: { return cur[i]; }
    case 3u: { return next[i]; }
    default: { return 0.0; }
  }
}

fn store(n: u32, o: u32, y: u32, x: u32, v: f32) {
  if (o >= p.Cout || x >= p.Wout) { return; }
  var r = v + bias[o];
  if (RESIDUAL) { r = r + residual[((n * p.Cout + o) * p.resBufRows + (y - p.resBufRow0)) * p.Wout + x]; }
  out[((n * p.Cout + o) * p.outBufRows + (y - p.outBufRow0)) * p.Wout + x] = r;
}

fn store_pixel(n: u32, o0: u32, y: u32, x: u32, lo: vec4<f32>, hi: vec4<f32>) {
  store(n, o0 + 0u, y, x, lo.x); store(n, o0 + 1u, y, x, lo.y); store(n, o0 + 2u, y, x, lo.z); store(n, o0 + 3u, y, x, lo.w);
  store(n, o0 + 4u, y, x, hi.x); store(n, o0 + 5u, y, x, hi.y); store(n, o0 + 6u, y, x, hi.z); store(n, o0 + 7u, y, x, hi.w);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o0 = gid.y * 8u;
  if (gid.x >= p.outRows * p.quads || o0 >= p.CoutPad) { return; }
  let n = gid.z;
  let y = p.outRow0 + gid.x / p.quads;
  let x0 = (gid.x % p.quads) * 4u;
  let pad = i32(KSIZE / 2u);
  let span = 3u + KSIZE; // input columns the 4 pixels read

  // Input columns of the span (upsampled coordinates halved), and whether each is inside the image.
  var col: array<u32, 6>;
  var colOk: array<bool, 6>;
  for (var q = 0u; q < span; q = q + 1u) {
    let u = i32(x0 + q) - pad;
    colOk[q] = u >= 0 && u < i32(p.Wout);
    col[q] = select(u32(max(u, 0)), u32(max(u, 0)) / 2u, UPSAMPLE);
  }
  var rows: array<RowRef, 3>;
  for (var ky = 0u; ky < KSIZE; ky = ky + 1u) {
    let u = i32(y + ky) - pad;
    if (u < 0 || u >= i32(p.Hout)) { rows[ky] = RowRef(NONE, 0u, 0u); }
    else { rows[ky] = row_ref(n, select(u, u / 2, UPSAMPLE)); }
  }

  let wRow = p.CoutPad / 4u;
  let wo = o0 / 4u;
  var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0);
  var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0);
  var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0);
  var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0);
  var v: array<f32, 6>;
  for (var ci = 0u; ci < p.Cin; ci = ci + 1u) {
    for (var ky = 0u; ky < KSIZE; ky = ky + 1u) {
      let rr = rows[ky];
      let base = rr.base + ci * rr.stride;
      for (var q = 0u; q < span; q = q + 1u) {
        v[q] = 0.0;
        if (colOk[q] && rr.buf != NONE) { v[q] = fetch(rr.buf, base + col[q]); }
      }
      var wi = ((ci * KSIZE + ky) * KSIZE) * wRow + wo;
      for (var kx = 0u; kx < KSIZE; kx = kx + 1u) {
        let w0 = w[wi];
        let w1 = w[wi + 1u];
        wi = wi + wRow;
        let v0 = vec4<f32>(v[kx]); let v1 = vec4<f32>(v[kx + 1u]);
        let v2 = vec4<f32>(v[kx + 2u]); let v3 = vec4<f32>(v[kx + 3u]);
        a00 = fma(v0, w0, a00); a01 = fma(v0, w1, a01);
        a10 = fma(v1, w0, a10); a11 = fma(v1, w1, a11);
        a20 = fma(v2, w0, a20); a21 = fma(v2, w1, a21);
        a30 = fma(v3, w0, a30); a31 = fma(v3, w1, a31);
      }
    }
  }
  store_pixel(n, o0, y, x0 + 0u, a00, a01);
  store_pixel(n, o0, y, x0 + 1u, a10, a11);
  store_pixel(n, o0, y, x0 + 2u, a20, a21);
  store_pixel(n, o0, y, x0 + 3u, a30, a31);
}
