// Embedding lookup (LabelEmbedder): out[n, d] = table[labels[n], d]; labels are i32 class ids (the
// null class included), table is [rows, D]. Labels are validated where they enter
// (src/model/class-label.ts); one outside the table writes NaN so it cannot pass unseen.

struct Params { N: u32, D: u32, rows: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  let n = gid.y;
  if (d >= p.D || n >= p.N) { return; }
  let id = labels[n];
  if (id < 0 || u32(id) >= p.rows) {
    let nanBits = 0x7fc00000u + min(u32(abs(id)), 0u); // not a constant expression, so WGSL accepts NaN
    out[n * p.D + d] = bitcast<f32>(nanBits);
    return;
  }
  out[n * p.D + d] = table[u32(id) * p.D + d];
}
