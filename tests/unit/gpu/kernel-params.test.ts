/**
 * Every kernel's Params as the wrappers declare them (the specs exported beside each wrapper in
 * src/gpu/ops.ts and src/gpu/vae-ops.ts) against the `struct Params` of the WGSL they compile:
 * the same field names, in the same order, of the same types. And packParams, the one place the
 * values become bytes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import '../../support/webgpu-constants.ts';
import type { KernelSpec } from '../../../src/gpu/kernel.ts';
import * as ops from '../../../src/gpu/ops.ts';
import { packParams } from '../../../src/gpu/params.ts';
import * as vaeOps from '../../../src/gpu/vae-ops.ts';

const SHADERS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shaders');

/** The fields of the one `struct Params { name: type, ... }` in a WGSL source, in order. */
function parseParamsStruct(wgsl: string): [string, string][] {
  const code = wgsl.replace(/\/\/[^\n]*/g, '');
  const structs = [...code.matchAll(/struct\s+Params\s*\{([^}]*)\}/g)];
  if (structs.length !== 1) throw new Error(`expected one struct Params, found ${structs.length}`);
  return structs[0][1].split(',').map((f) => f.trim()).filter((f) => f !== '').map((f) => {
    const m = /^([A-Za-z_]\w*)\s*:\s*(.+)$/.exec(f);
    if (!m) throw new Error(`cannot parse Params field "${f}"`);
    return [m[1], m[2].replace(/\s+/g, '')];
  });
}

const isSpec = (v: unknown): v is KernelSpec =>
  typeof v === 'object' && v !== null && 'name' in v && 'source' in v && 'params' in v && typeof v.source === 'string';

/** The exported kernel specs, by export name. */
const exported: [string, unknown][] = [...Object.entries(ops), ...Object.entries(vaeOps)];
const specs = exported.filter((e): e is [string, KernelSpec] => isSpec(e[1]));

const shaderFiles = readdirSync(SHADERS).filter((f) => f.endsWith('.wgsl')).sort();
const shaderText = (file: string) => readFileSync(join(SHADERS, file), 'utf8');

describe('the parser', () => {
  it('reads fields, their order and types, past comments and line breaks', () => {
    const wgsl = 'struct Params {\n  a: u32, b : i32, // the band\n  c: f32,\n  m: vec4< f32 >,\n}\n@group(0) @binding(0) var<uniform> p: Params;';
    expect(parseParamsStruct(wgsl)).toEqual([['a', 'u32'], ['b', 'i32'], ['c', 'f32'], ['m', 'vec4<f32>']]);
    expect(() => parseParamsStruct('struct Other { a: u32 }')).toThrow(/one struct Params/);
  });
});

describe('kernel Params: TypeScript layout = WGSL struct', () => {
  it('finds a spec for every kernel', () => {
    expect(specs.length).toBeGreaterThanOrEqual(20);
  });

  for (const [exportName, spec] of specs) {
    it(`${exportName} (${spec.name})`, () => {
      // The source the pipeline compiles is the file it is named after (matmul kernels: with matmul_common.wgsl prepended).
      expect(shaderFiles).toContain(spec.name);
      expect(spec.source.includes(shaderText(spec.name)), `${exportName}.source is not shaders/${spec.name}`).toBe(true);
      expect(spec.source).toMatch(/@group\(0\)\s*@binding\(0\)\s*var<uniform>\s*\w+\s*:\s*Params\s*;/);
      expect(Object.entries(spec.params), `${exportName}.params vs struct Params of ${spec.name}`).toEqual(parseParamsStruct(spec.source));
    });
  }

  it('covers every shader file: each kernel has a spec, each file with a struct Params is compiled by one', () => {
    for (const file of shaderFiles) {
      const text = shaderText(file);
      if (/@compute/.test(text)) expect(specs.map(([, s]) => s.name), `no spec for shaders/${file}`).toContain(file);
      if (/struct\s+Params/.test(text)) expect(specs.some(([, s]) => s.source.includes(text)), `no spec compiles shaders/${file}`).toBe(true);
    }
  });
});

describe('packParams', () => {
  const bytes = (buf: ArrayBuffer) => [...new Uint8Array(buf)];
  /** Fields at 4 bytes each, u32 or f32 bits, padded to 16 bytes: the layout of every scalar Params struct. */
  const words = (values: (number | { f32: number } | { i32: number })[]) => {
    const dv = new DataView(new ArrayBuffer(Math.max(16, Math.ceil((values.length * 4) / 16) * 16)));
    values.forEach((v, i) => {
      if (typeof v === 'number') dv.setUint32(i * 4, v, true);
      else if ('f32' in v) dv.setFloat32(i * 4, v.f32, true);
      else dv.setInt32(i * 4, v.i32, true);
    });
    return bytes(dv.buffer);
  };

  it('writes the fields in the layout order whatever the order they are given in, f32 values as float32 bits', () => {
    const layout = { B: 'u32', C: 'u32', HW: 'u32', guided: 'u32', scale: 'f32', rowWidth: 'u32' } as const;
    const buf = packParams(layout, { rowWidth: 0xffffffff, scale: 1 / 3, guided: 3, HW: 35, C: 8, B: 3 });
    expect(bytes(buf)).toEqual(words([3, 8, 35, 3, { f32: 1 / 3 }, 0xffffffff]));
    expect(buf.byteLength).toBe(32);
    expect(bytes(packParams({ eps: 'f32' }, { eps: -0 }))).toEqual(words([{ f32: -0 }]));
    expect(bytes(packParams({ n: 'i32', m: 'i32' }, { n: -5, m: 0x7fffffff }))).toEqual(words([{ i32: -5 }, { i32: 0x7fffffff }]));
  });

  it('aligns vec4<f32> fields to 16 bytes as WGSL does', () => {
    const buf = packParams({ h: 'u32', m0: 'vec4<f32>', bias: 'vec4<f32>' }, { h: 7, m0: [0.5, -1, 2, 0], bias: [1, 2, 3, 4] });
    expect(bytes(buf)).toEqual(words([7, 0, 0, 0, { f32: 0.5 }, { f32: -1 }, { f32: 2 }, { f32: 0 }, { f32: 1 }, { f32: 2 }, { f32: 3 }, { f32: 4 }]));
  });

  it('refuses values out of their type and fields missing or unknown', () => {
    expect(() => packParams({ n: 'u32' }, { n: -1 })).toThrow(/u32 param n out of range/);
    expect(() => packParams({ n: 'u32' }, { n: 1.5 })).toThrow(/u32 param n/);
    expect(() => packParams({ n: 'u32' }, { n: 2 ** 32 })).toThrow(/u32 param n/);
    expect(() => packParams({ n: 'i32' }, { n: 2 ** 31 })).toThrow(/i32 param n/);
    const extra = { n: 1, extra: 2 }; // a variable, past TypeScript's excess property check
    expect(() => packParams({ n: 'u32' }, extra)).toThrow(/do not match/);
    expect(() => packParams({ n: 'u32', m: 'u32' }, { n: 1, k: 2 } as unknown as { n: number; m: number })).toThrow(/param m missing/);
  });
});
