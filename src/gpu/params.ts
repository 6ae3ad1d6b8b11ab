/** Packs a kernel's uniform `Params` struct: fields in declaration order, 4 bytes each. */
export type Param = number | { f32: number };

export function packParams(fields: Param[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const dv = new DataView(buf);
  fields.forEach((f, i) => {
    if (typeof f === 'number') {
      if (!Number.isInteger(f) || f < 0 || f > 0xffffffff) throw new Error(`u32 param ${i} out of range: ${f}`);
      dv.setUint32(i * 4, f, true);
    } else {
      dv.setFloat32(i * 4, f.f32, true);
    }
  });
  return buf;
}

export const f32 = (x: number): Param => ({ f32: x });
