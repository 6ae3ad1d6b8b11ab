/**
 * How binary data crosses between Node and the engine page: typed arrays travel through the
 * local server as blobs, and the JSON that page.evaluate carries holds `{$blob, type}` markers.
 */
export interface BlobRef {
  $blob: string;
  type: TypedArrayName;
}

export type TypedArrayName = 'Float32Array' | 'Int32Array' | 'Uint8Array' | 'Uint8ClampedArray' | 'Float64Array' | 'Uint32Array';

type TypedArray = Float32Array | Int32Array | Uint8Array | Uint8ClampedArray | Float64Array | Uint32Array;

const CTORS: Record<TypedArrayName, new (b: ArrayBuffer) => TypedArray> = {
  Float32Array, Int32Array, Uint8Array, Uint8ClampedArray, Float64Array, Uint32Array,
};

export function isBlobRef(v: unknown): v is BlobRef {
  return !!v && typeof v === 'object' && typeof (v as BlobRef).$blob === 'string';
}

export function typedArrayName(v: unknown): TypedArrayName | null {
  for (const name of Object.keys(CTORS) as TypedArrayName[]) if (v instanceof CTORS[name]) return name;
  return null;
}

export function fromBytes(type: TypedArrayName, bytes: ArrayBuffer): TypedArray {
  return new CTORS[type](bytes);
}

/** Replaces every typed array in `value` by what `put` returns for it (recursively). */
export async function replaceArrays(value: unknown, put: (a: TypedArray, type: TypedArrayName) => Promise<unknown>): Promise<unknown> {
  const type = typedArrayName(value);
  if (type) return put(value as TypedArray, type);
  if (Array.isArray(value)) return Promise.all(value.map((v) => replaceArrays(v, put)));
  if (value && typeof value === 'object' && !(value instanceof Blob)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await replaceArrays(v, put);
    return out;
  }
  return value;
}

/** Replaces every BlobRef in `value` by what `get` returns for it (recursively). */
export async function resolveRefs(value: unknown, get: (ref: BlobRef) => Promise<unknown>): Promise<unknown> {
  if (isBlobRef(value)) return get(value);
  if (Array.isArray(value)) return Promise.all(value.map((v) => resolveRefs(v, get)));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveRefs(v, get);
    return out;
  }
  return value;
}
