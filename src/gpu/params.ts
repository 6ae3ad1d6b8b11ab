/**
 * A kernel's uniform `Params` struct, declared in TypeScript as a layout: its field names and
 * WGSL types, in the struct's declaration order (the object's key order). Wrappers give the values
 * by name; `packParams` lays them out as WGSL does. tests/unit/gpu/kernel-params.test.ts checks
 * every layout against the struct in its shader.
 */
export type ParamType = 'u32' | 'i32' | 'f32' | 'vec4<f32>';

export type ParamsLayout = Readonly<Record<string, ParamType>>;

type ParamValue<T extends ParamType> = T extends 'vec4<f32>' ? readonly [number, number, number, number] : number;

/** The values of a layout's fields, by name. */
export type ParamsOf<L extends ParamsLayout> = { readonly [K in keyof L]: ParamValue<L[K]> };

/** WGSL's size and alignment of each field type (uniform address space). */
const SIZE: Record<ParamType, number> = { u32: 4, i32: 4, f32: 4, 'vec4<f32>': 16 };

/**
 * The bytes of a Params struct: each field at its WGSL offset (4-byte scalars, 16-byte-aligned
 * vec4s), f32 values as their float32 bits, the whole padded to a multiple of 16 bytes.
 */
export function packParams<L extends ParamsLayout>(layout: L, params: ParamsOf<L>): ArrayBuffer {
  const fields = Object.entries(layout);
  if (Object.keys(params).length !== fields.length) {
    throw new Error(`params {${Object.keys(params)}} do not match the struct's fields {${Object.keys(layout)}}`);
  }
  let end = 0;
  const offsets = fields.map(([, type]) => {
    const offset = Math.ceil(end / SIZE[type]) * SIZE[type];
    end = offset + SIZE[type];
    return offset;
  });
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(end / 16) * 16));
  const dv = new DataView(buf);
  fields.forEach(([name, type], i) => {
    const v: number | readonly number[] | undefined = params[name];
    if (v === undefined) throw new Error(`param ${name} missing`);
    if (type === 'vec4<f32>') {
      if (typeof v === 'number' || v.length !== 4) throw new Error(`param ${name} must be 4 numbers`);
      v.forEach((x, j) => dv.setFloat32(offsets[i] + 4 * j, x, true));
    } else if (typeof v !== 'number') {
      throw new Error(`param ${name} must be a number`);
    } else if (type === 'f32') {
      dv.setFloat32(offsets[i], v, true);
    } else if (type === 'u32') {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error(`u32 param ${name} out of range: ${v}`);
      dv.setUint32(offsets[i], v, true);
    } else {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new Error(`i32 param ${name} out of range: ${v}`);
      dv.setInt32(offsets[i], v, true);
    }
  });
  return buf;
}
