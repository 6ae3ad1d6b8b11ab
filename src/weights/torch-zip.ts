/**
 * PyTorch checkpoints (`torch.save`, zip format since torch 1.6): `<archive>/data.pkl` pickles the
 * object graph, and each tensor storage is the stored entry `<archive>/data/<key>`. This reads the
 * pickle with an allowlist that knows only tensors, state dicts and plain data, picks the state
 * dict (a bare one, or `ema`, then `model` in a training checkpoint), and turns each tensor into
 * a TensorEntry: a byte range inside the zip, streamed exactly like a safetensors tensor.
 */
import { formatBytes } from './budget.ts';
import { WeightsError, inFile, throwIfAborted } from './errors.ts';
import type { ByteSource } from './source.ts';
import { DTYPE_BYTES, elementCount, type DType, type TensorEntry, type WeightsIndex } from './tensor-entry.ts';
import { isList, isTuple, PICKLE_MEMORY_BUDGET, PyGlobal, unpickle, type GlobalStandIn, type PyTuple, type PyValue } from './unpickle.ts';
import { locateStoredData, readZipDirectory, type ZipDirectory, type ZipEntry } from './zip.ts';

/**
 * Largest data.pkl accepted: 40 times DiT-XL/2's (about 50 KB). The pickle's memory is bounded
 * separately (PICKLE_MEMORY_BUDGET), since one byte of pickle can ask for 200 bytes of heap.
 */
export const MAX_PICKLE_BYTES = 2 * 1024 * 1024;

/** Dicts searched for the weights in a training checkpoint, best first. */
export const STATE_DICT_KEYS = ['ema', 'model', 'state_dict', 'model_state_dict', 'module'];

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

class StorageRef {
  constructor(readonly key: string, readonly dtype: DType) {}
}

class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}

export interface OpenedTorchZip extends WeightsIndex {
  format: 'torch-zip';
  /** The dict the tensors came from: '' for a bare state dict, else its key (`ema`, `model`). */
  stateDictKey: string;
  /** Keys of the checkpoint's top-level dict, for messages. */
  topLevelKeys: string[];
}

export interface TorchZipOptions {
  /** Take the tensors from this top-level key ('' = the top level itself) instead of choosing. */
  stateDictKey?: string;
  signal?: AbortSignal;
}

export async function openTorchZip(source: ByteSource, options: TorchZipOptions = {}): Promise<OpenedTorchZip> {
  try {
    return await open(source, options);
  } catch (e) {
    throw inFile(e, source.name);
  }
}

async function open(source: ByteSource, { stateDictKey, signal }: TorchZipOptions): Promise<OpenedTorchZip> {
  const dir = await readZipDirectory(source, signal);
  const pickles = dir.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    throw new WeightsError(pickles.length ? 'bad-archive' : 'unsupported', pickles.length ? 'the zip holds more than one */data.pkl' : 'not a PyTorch checkpoint: the zip has no */data.pkl');
  }
  const archive = pickles[0].name.slice(0, -'/data.pkl'.length);
  const byteorder = dir.byName.get(`${archive}/byteorder`);
  if (byteorder) {
    const order = new TextDecoder().decode(await readEntry(source, dir, byteorder, 16, 'a byte order is "little" or "big"', signal));
    if (order !== 'little') throw new WeightsError('unsupported', `checkpoint byte order is "${order}"; only little-endian is supported`);
  }
  const pkl = await readEntry(source, dir, pickles[0], MAX_PICKLE_BYTES, "DiT-XL/2's pickle is about 50 KB", signal);
  const root = readTorchPickle(pkl, pickles[0].name);
  const { key, dict } = chooseStateDict(root, stateDictKey);
  const refs = collectTensors(dict);

  const storageEntry = (s: StorageRef): ZipEntry => {
    const e = dir.byName.get(`${archive}/data/${s.key}`);
    if (!e) throw new WeightsError('bad-archive', `storage "${s.key}" is missing from the zip`);
    return e;
  };
  const located = await locateStoredData(source, dir, [...refs.values()].map((t) => storageEntry(t.storage)), signal);
  const tensors = new Map<string, TensorEntry>();
  for (const [name, t] of refs) {
    const range = located.get(storageEntry(t.storage))!;
    tensors.set(name, tensorEntry(name, t, range));
  }
  return {
    format: 'torch-zip',
    tensors,
    metadata: { format: 'pytorch', state_dict: key },
    stateDictKey: key,
    topLevelKeys: root instanceof Map ? [...root.keys()].map(String) : [],
  };
}

/** A small entry read whole; `realNeed` says what genuine ones hold, for the refusal of a bigger one. */
async function readEntry(source: ByteSource, dir: ZipDirectory, entry: ZipEntry, limit: number, realNeed: string, signal?: AbortSignal): Promise<Uint8Array> {
  if (entry.size > limit) {
    throw new WeightsError('unsupported', `"${entry.name}" is ${entry.size} bytes, over the ${formatBytes(limit)} limit (${realNeed}), so the file is damaged or hostile`);
  }
  const range = (await locateStoredData(source, dir, [entry], signal)).get(entry)!;
  throwIfAborted(signal);
  return source.read(range.begin, range.end, signal);
}

const isCount = (v: PyValue): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function intTuple(v: PyValue, what: string): number[] {
  if (!Array.isArray(v) || !v.every(isCount)) throw new WeightsError('bad-pickle', `tensor ${what} is not a tuple of non-negative integers`);
  return [...(v as number[])];
}

function rebuildTensor(args: PyTuple): TensorRef {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new WeightsError('bad-pickle', 'tensor storage is not a persistent storage reference');
  if (!isCount(offset)) throw new WeightsError('bad-pickle', 'tensor storage offset is not a non-negative integer');
  const shape = intTuple(size, 'size');
  const strides = intTuple(stride, 'stride');
  if (shape.length !== strides.length) throw new WeightsError('bad-pickle', 'tensor size and stride have different lengths');
  return new TensorRef(storage, offset, shape, strides);
}

function parameter(args: PyTuple): PyValue {
  if (!(args[0] instanceof TensorRef)) throw new WeightsError('bad-pickle', 'parameter data is not a tensor');
  return args[0];
}

const pairsToMap = (args: PyTuple): Map<PyValue, PyValue> => {
  const m = new Map<PyValue, PyValue>();
  if (args.length === 0) return m;
  if (!Array.isArray(args[0])) throw new WeightsError('bad-pickle', 'OrderedDict argument is not a list of pairs');
  for (const kv of args[0] as PyValue[]) {
    if (!Array.isArray(kv) || kv.length !== 2) throw new WeightsError('bad-pickle', 'OrderedDict item is not a pair');
    m.set(kv[0], kv[1]);
  }
  return m;
};

const toSet = (args: PyTuple): Set<PyValue> => {
  if (args.length === 0) return new Set();
  if (!Array.isArray(args[0])) throw new WeightsError('bad-pickle', 'set argument is not a list');
  return new Set(args[0] as PyValue[]);
};

/** Everything a torch.save state dict or training checkpoint needs, all of it inert data. */
export const TORCH_GLOBALS: Record<string, GlobalStandIn> = {
  'collections.OrderedDict': { call: pairsToMap },
  'torch._utils._rebuild_tensor': { call: rebuildTensor },
  'torch._utils._rebuild_tensor_v2': { call: rebuildTensor },
  'torch._utils._rebuild_parameter': { call: parameter },
  'torch._utils._rebuild_parameter_with_state': { call: parameter },
  'torch.Size': { call: (args) => Object.freeze(intTuple(args[0] ?? [], 'torch.Size')) },
  'argparse.Namespace': { inertObject: true },
  'builtins.set': { call: toSet },
  'builtins.frozenset': { call: toSet },
  // Protocol 2 pickles `bytes` as _codecs.encode(text, 'latin1').
  '_codecs.encode': {
    call: ([s, enc]) => {
      if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) throw new WeightsError('unsupported', '_codecs.encode is only read for latin1 text');
      return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
    },
  },
  ...Object.fromEntries(Object.keys(STORAGE_DTYPES).map((s) => [`torch.${s}`, {}])),
};

/** Unpickles a torch data.pkl: tensors become references to storages, everything else plain values. */
export function readTorchPickle(bytes: Uint8Array, name = 'data.pkl', maxMemoryBytes = PICKLE_MEMORY_BUDGET): PyValue {
  const storages = new Map<string, StorageRef>();
  return unpickle(bytes, {
    name,
    globals: TORCH_GLOBALS,
    maxMemoryBytes,
    realNeed: `real checkpoints need about 25 bytes per byte of pickle (DiT-XL/2's 50 KB pickle about 1.1 MiB)`,
    persistentLoad(pid) {
      // ('storage', storage_type, key, location, numel)
      if (!isTuple(pid) || pid.length !== 5 || pid[0] !== 'storage') throw new WeightsError('bad-pickle', `${name}: unknown persistent id`);
      const [, type, key, location] = pid;
      if (!(type instanceof PyGlobal) || type.module !== 'torch' || !Object.hasOwn(STORAGE_DTYPES, type.name)) {
        throw new WeightsError('unsupported', `${name}: unsupported storage type ${type instanceof PyGlobal ? type.qualifiedName : typeof type}`);
      }
      if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw new WeightsError('bad-pickle', `${name}: bad storage key`);
      if (typeof location !== 'string') throw new WeightsError('bad-pickle', `${name}: bad storage location`);
      const dtype = STORAGE_DTYPES[type.name];
      const known = storages.get(key);
      if (known && known.dtype !== dtype) throw new WeightsError('bad-pickle', `${name}: storage "${key}" is used with two dtypes`);
      const ref = known ?? new StorageRef(key, dtype);
      storages.set(key, ref);
      return ref;
    },
  });
}

function hasTensors(v: PyValue): v is Map<PyValue, PyValue> {
  if (!(v instanceof Map)) return false;
  for (const x of v.values()) if (x instanceof TensorRef) return true;
  return false;
}

function chooseStateDict(root: PyValue, forced: string | undefined): { key: string; dict: Map<PyValue, PyValue> } {
  if (!(root instanceof Map)) throw new WeightsError('unsupported', `the checkpoint holds ${describe(root)}, not a dict of tensors (was a whole model saved instead of its state_dict?)`);
  const keys = [...root.keys()].map(String);
  if (forced !== undefined) {
    const dict = forced === '' ? root : root.get(forced);
    if (!hasTensors(dict)) throw new WeightsError('missing-tensor', `the checkpoint has no tensors under "${forced}" (top-level keys: ${keys.join(', ')})`);
    return { key: forced, dict };
  }
  if (hasTensors(root)) return { key: '', dict: root };
  for (const k of STATE_DICT_KEYS) {
    const dict = root.get(k);
    if (hasTensors(dict)) return { key: k, dict };
  }
  throw new WeightsError('missing-tensor', `no state dict in the checkpoint: top-level keys are ${keys.join(', ') || '(none)'}; looked for tensors at the top level and under ${STATE_DICT_KEYS.join(', ')}`);
}

function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (v instanceof PyGlobal) return v.qualifiedName;
  if (isList(v)) return 'a list';
  if (isTuple(v)) return 'a tuple';
  return `a ${typeof v}`;
}

/** Tensors of a state dict by dotted name; nested dicts are flattened, cycles and deep nesting ignored. */
function collectTensors(dict: Map<PyValue, PyValue>): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  const seen = new Set<Map<PyValue, PyValue>>();
  const walk = (m: Map<PyValue, PyValue>, prefix: string, depth: number) => {
    if (seen.has(m) || depth > 16) return;
    seen.add(m);
    for (const [k, v] of m) {
      if (typeof k !== 'string' && typeof k !== 'number') continue;
      if (v instanceof TensorRef) out.set(prefix + k, v);
      else if (v instanceof Map) walk(v, `${prefix}${k}.`, depth + 1);
    }
  };
  walk(dict, '', 0);
  return out;
}

function tensorEntry(name: string, t: TensorRef, storage: { begin: number; end: number }): TensorEntry {
  const item = DTYPE_BYTES[t.storage.dtype];
  const count = elementCount(t.shape);
  if (!Number.isSafeInteger(count * item)) throw new WeightsError('bad-shape', `tensor "${name}": shape [${t.shape}] is too large`);
  if (count > 0 && !isContiguous(t.shape, t.stride)) {
    throw new WeightsError('unsupported', `tensor "${name}" is not contiguous (shape [${t.shape}], stride [${t.stride}]); save tensor.contiguous() instead`);
  }
  const begin = count === 0 ? storage.begin : storage.begin + t.offset * item;
  const end = begin + count * item;
  if (end > storage.end) throw new WeightsError('bad-archive', `tensor "${name}" needs bytes [${begin}, ${end}) but its storage holds [${storage.begin}, ${storage.end})`);
  return { name, dtype: t.storage.dtype, shape: t.shape, begin, end };
}

/** Row-major contiguous; dimensions of size 1 may have any stride, as in torch's is_contiguous. */
function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}
