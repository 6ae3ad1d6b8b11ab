// Class blend (LabelEmbedder between two classes):
//   out[n, d] = (1 - weight[n]) * table[labels[n], d] + weight[n] * table[blendLabels[n], d].
// Weight 0 gives table[labels[n]] exactly and weight 1 table[blendLabels[n]] exactly (x * 1 + 0 * y).
// Labels are validated where they enter (src/model/class-label.ts); one outside the table writes
// NaN so it cannot pass unseen.

struct Params { N: u32, D: u32, rows: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> blendLabels: array<i32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> table: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

fn inTable(id: i32) -> bool {
  return id >= 0 && u32(id) < p.rows;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = gid.x;
  let n = gid.y;
  if (d >= p.D || n >= p.N) { return; }
  let a = labels[n];
  let b = blendLabels[n];
  if (!inTable(a) || !inTable(b)) {
    let nanBits = 0x7fc00000u + min(u32(abs(a)), 0u); // not a constant expression, so WGSL accepts NaN
    out[n * p.D + d] = bitcast<f32>(nanBits);
    return;
  }
  let w = weight[n];
  out[n * p.D + d] = (1.0 - w) * table[u32(a) * p.D + d] + w * table[u32(b) * p.D + d];
}
