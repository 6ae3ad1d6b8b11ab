// Image in [-1, 1] to 8-bit RGBA: for the first three channels of an NCHW band [B, C, rows, W]
// (image rows row0 .. row0 + rows, see conv2d.wgsl),
//   byte = round(255 * clamp(v / 2 + 0.5, 0, 1)),  alpha 255,
// packed little-endian into one u32 per pixel (R in the low byte, so the buffer's bytes read as
// R, G, B, A): rgba[n, row0 + r, x] of the whole image [B, H, W]. One invocation per pixel,
// 2-D dispatch: i = gid.x + gid.y * rowWidth over the band's B * rows * W pixels.

struct Params { C: u32, H: u32, W: u32, rows: u32, row0: u32, count: u32, rowWidth: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> image: array<f32>;
@group(0) @binding(2) var<storage, read_write> rgba: array<u32>;

fn to_byte(v: f32) -> u32 {
  // floor(x + 0.5) rounds halves up; x >= 0 here, so it equals round-half-away-from-zero.
  return u32(floor(255.0 * clamp(v * 0.5 + 0.5, 0.0, 1.0) + 0.5));
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowWidth;
  if (i >= p.count) { return; }
  let plane = p.rows * p.W;
  let n = i / plane;
  let hw = i % plane;
  let base = n * p.C * plane + hw;
  let r = to_byte(image[base]);
  let g = to_byte(image[base + plane]);
  let b = to_byte(image[base + 2u * plane]);
  rgba[n * p.H * p.W + p.row0 * p.W + hw] = r | (g << 8u) | (b << 16u) | (255u << 24u);
}
