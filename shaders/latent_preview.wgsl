// Cheap preview of a diffusion latent without the VAE: a per-pixel linear map of the 4 latent
// channels to RGB (coefficients in src/model/latent-preview.ts), then the image mapping of
// to_rgba.wgsl, nearest-upscaled by an integer factor:
//   rgb[k] = bias[k] + sum_c latent[n, c, y / up, x / up] * m[c][k],   k = R, G, B
//   rgba[n, y, x] = pack(round(255 * clamp(rgb / 2 + 0.5, 0, 1)), alpha 255)
// latent: NCHW [B, 4, h, w] (diffusion latents, i.e. already multiplied by the VAE scaling factor);
// rgba: [B, h*up, w*up] u32, R in the low byte. The 4x3 matrix and bias travel in Params.
// One invocation per output pixel, 2-D dispatch: i = gid.x + gid.y * rowWidth.

struct Params {
  h: u32, w: u32, up: u32, count: u32, rowWidth: u32, pad0: u32, pad1: u32, pad2: u32,
  m0: vec4<f32>, m1: vec4<f32>, m2: vec4<f32>, m3: vec4<f32>,   // rows: latent channel c -> (R, G, B, 0)
  bias: vec4<f32>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> latent: array<f32>;
@group(0) @binding(2) var<storage, read_write> rgba: array<u32>;

fn to_byte(v: f32) -> u32 {
  return u32(floor(255.0 * clamp(v * 0.5 + 0.5, 0.0, 1.0) + 0.5));
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.rowWidth;
  if (i >= p.count) { return; }
  let W = p.w * p.up;
  let H = p.h * p.up;
  let n = i / (H * W);
  let y = (i / W) % H;
  let x = i % W;
  let plane = p.h * p.w;
  let src = n * 4u * plane + (y / p.up) * p.w + x / p.up;
  let rgb = p.bias + latent[src] * p.m0 + latent[src + plane] * p.m1 + latent[src + 2u * plane] * p.m2 + latent[src + 3u * plane] * p.m3;
  rgba[i] = to_byte(rgb.x) | (to_byte(rgb.y) << 8u) | (to_byte(rgb.z) << 16u) | (255u << 24u);
}
