// Classifier-free guidance, as DiT's forward_with_cfg: the batch is [cond rows | null rows]
// (B each) of model outputs [2B, C, H, W]. Channels below `guided` become
//   uncond + cfgScale[b] * (cond - uncond)   in both halves of picture b;
// the others (the remaining eps channels and the variance channels) pass through per row.
// One scale per picture, so a guidance sweep is one batch.
// 2-D dispatch: index = gid.x + gid.y * rowWidth.

struct Params { B: u32, C: u32, HW: u32, guided: u32, rowWidth: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> model_out: array<f32>;
@group(0) @binding(2) var<storage, read> cfgScale: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * p.rowWidth;
  let perRow = p.C * p.HW;
  if (idx >= 2u * p.B * perRow) { return; }
  let n = idx / perRow;
  let within = idx % perRow;
  let c = within / p.HW;
  if (c >= p.guided) {
    out[idx] = model_out[idx];
    return;
  }
  let b = n % p.B;
  let cond = model_out[b * perRow + within];
  let uncond = model_out[(b + p.B) * perRow + within];
  out[idx] = uncond + cfgScale[b] * (cond - uncond);
}
