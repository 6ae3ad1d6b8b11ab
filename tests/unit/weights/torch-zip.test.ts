import { describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { openWeights } from '../../../src/weights/open-weights.ts';
import { bytesSource } from '../../../src/weights/source.ts';
import { openTorchZip } from '../../../src/weights/torch-zip.ts';
import { expected, fixture, readAll, unzipStored, values, type ExpectedTensor } from '../../support/torch-fixtures.ts';
import { recording } from '../../support/sources.ts';
import { PickleBuilder, writeZip } from '../../support/zip-writer.ts';

async function checkAgainst(bytes: Uint8Array, want: Record<string, ExpectedTensor>, stateDictKey?: string) {
  const src = bytesSource(bytes, 'ckpt.pt');
  const w = await openWeights(src, { stateDictKey });
  expect(w.format).toBe('torch-zip');
  expect([...w.tensors.keys()].sort()).toEqual(Object.keys(want).sort());
  const data = await readAll(src, w.tensors.values());
  for (const [name, t] of Object.entries(want)) {
    const e = w.tensors.get(name)!;
    expect({ dtype: e.dtype, shape: e.shape }, name).toEqual({ dtype: t.dtype, shape: t.shape });
    expect(values(e.dtype, data.get(name)!), name).toEqual(t.values);
  }
  return w;
}

async function refusal(bytes: Uint8Array, name = 'ckpt.pt') {
  try {
    await openWeights(bytesSource(bytes, name));
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    expect((e as Error).message.startsWith(name)).toBe(true);
    return e as WeightsError;
  }
  throw new Error('expected a refusal');
}

/** A torch-style zip around a hand-made pickle, with the given storages. */
function torchZip(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}) {
  return writeZip([
    { name: 'archive/data.pkl', data: pickle },
    ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
  ], { align: 64 });
}

/** {name: _rebuild_tensor_v2(storage(FloatStorage, key), offset, shape, stride, False, OrderedDict())} */
function tensorDictPickle(name: string, key: string, offset: number, shape: number[], stride: number[], storageType = 'FloatStorage') {
  const p = new PickleBuilder().proto(2).emptyDict().str(name)
    .global('torch._utils', '_rebuild_tensor_v2').mark()
    .mark().str('storage').global('torch', storageType).str(key).str('cpu').int(4).tuple().persid()
    .int(offset).mark();
  for (const d of shape) p.int(d);
  p.tuple().mark();
  for (const s of stride) p.int(s);
  p.tuple().op(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setitem().stop();
  return p.done();
}

describe('PyTorch zip checkpoints (real torch.save files)', () => {
  it('reads a bare state dict', async () => {
    const w = await checkAgainst(fixture('bare.pt'), expected['bare.pt'] as Record<string, ExpectedTensor>);
    expect(w.format === 'torch-zip' && w.stateDictKey).toBe('');
  });

  it('prefers ema in a training checkpoint and ignores optimizer tensors', async () => {
    const want = expected['train.pt'] as Record<string, Record<string, ExpectedTensor>>;
    const w = await checkAgainst(fixture('train.pt'), want.ema);
    if (w.format !== 'torch-zip') throw new Error();
    expect(w.stateDictKey).toBe('ema');
    expect(w.metadata).toEqual({ format: 'pytorch', state_dict: 'ema' });
    expect(w.topLevelKeys.sort()).toEqual(['args', 'ema', 'model', 'opt']);
  });

  it('can be told to take the model weights instead', async () => {
    const want = expected['train.pt'] as Record<string, Record<string, ExpectedTensor>>;
    await checkAgainst(fixture('train.pt'), want.model, 'model');
    await expect(openWeights(bytesSource(fixture('train.pt')), { stateDictKey: 'nope' })).rejects.toMatchObject({ code: 'missing-tensor' });
  });

  it('reads every dtype: f32, f16, bf16, f64, integers, bool, scalars, empty', async () => {
    await checkAgainst(fixture('dtypes.pt'), expected['dtypes.pt'] as Record<string, ExpectedTensor>);
  });

  it('reads views: storage offsets, rows, and tensors sharing a storage', async () => {
    const w = await checkAgainst(fixture('views.pt'), expected['views.pt'] as Record<string, ExpectedTensor>);
    const off = w.tensors.get('offset')!;
    const reshaped = w.tensors.get('reshaped')!;
    expect(off.begin).toBe(reshaped.begin + 7 * 4);
  });

  it('refuses a non-contiguous tensor, naming it', async () => {
    const e = await refusal(fixture('strided.pt'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(/"transposed" is not contiguous/);
  });

  it('refuses the legacy format with a clear message', async () => {
    const e = await refusal(fixture('legacy.pt'));
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(/legacy/);
  });

  it('reads only the directory, the pickle and local headers when opening', async () => {
    const entries = await unzipStored(fixture('bare.pt'));
    entries.find((e) => e.name === 'bare/data/0')!.data = new Uint8Array(4 << 20); // a storage bigger than its tensor
    const bytes = writeZip(entries, { align: 64 });
    const src = recording(bytesSource(bytes));
    await openTorchZip(src);
    const read = src.log.reads.reduce((n, [b, e]) => n + e - b, 0);
    expect(read).toBeLessThan(100_000);
  });
});

describe('zip container', () => {
  it('reads the same checkpoint re-packed with ZIP64 records', async () => {
    const repacked = writeZip(await unzipStored(fixture('bare.pt')), { zip64: true, align: 64, comment: 'zip64 test' });
    await checkAgainst(repacked, expected['bare.pt'] as Record<string, ExpectedTensor>);
  });

  it('reads a zip with an archive comment and no alignment', async () => {
    const repacked = writeZip(await unzipStored(fixture('dtypes.pt')), { comment: 'PK\u0005\u0006 decoy' });
    await checkAgainst(repacked, expected['dtypes.pt'] as Record<string, ExpectedTensor>);
  });

  it('refuses compressed entries clearly', async () => {
    const entries = await unzipStored(fixture('bare.pt'));
    entries.find((e) => e.name.endsWith('/data/0'))!.method = 8;
    const e = await refusal(writeZip(entries));
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(/compressed/);
  });

  it('refuses a zip without data.pkl, and non-zip data', async () => {
    expect((await refusal(writeZip([{ name: 'x/y.txt', data: new Uint8Array(3) }]))).message).toMatch(/not a PyTorch checkpoint/);
    const notZip = new Uint8Array(100);
    notZip.set([0x50, 0x4b, 3, 4]);
    expect((await refusal(notZip)).code).toBe('bad-archive');
  });

  it('refuses a big-endian checkpoint', async () => {
    const entries = await unzipStored(fixture('bare.pt'));
    entries.push({ name: 'bare/byteorder', data: new TextEncoder().encode('big') });
    expect((await refusal(writeZip(entries))).message).toMatch(/byte order/);
  });

  it('refuses a tensor reaching past its storage and a missing storage', async () => {
    const pkl = tensorDictPickle('w', '0', 2, [4], [1]);
    expect((await refusal(torchZip(pkl, { 0: new Uint8Array(16) }))).message).toMatch(/"w" needs bytes/);
    expect((await refusal(torchZip(pkl, {}))).message).toMatch(/storage "0" is missing/);
    await checkAgainst(torchZip(tensorDictPickle('w', '0', 2, [2], [1]), { 0: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) }), { w: { dtype: 'F32', shape: [2], values: [3, 4] } });
  });
});

describe('hostile pickles', () => {
  it.each([
    ['os.system via GLOBAL', new PickleBuilder().proto().global('os', 'system').str('echo pwned').op(0x85).reduce().stop()],
    ['posix.system', new PickleBuilder().proto().global('posix', 'system').str('x').op(0x85).reduce().stop()],
    ['builtins.eval', new PickleBuilder().proto().global('builtins', 'eval').stop()],
    ['STACK_GLOBAL of subprocess', new PickleBuilder().proto(4).str('subprocess').str('Popen').op(0x93).stop()],
    ['a whole pickled module', new PickleBuilder().proto().global('__main__', 'Tiny').emptyTuple().op(0x81).stop()],
    ['torch.load itself', new PickleBuilder().proto().global('torch', 'load').stop()],
  ])('refuses %s without running anything', async (_what, p) => {
    const e = await refusal(torchZip(p.done()));
    expect(e.code).toBe('unsupported');
    expect(e.message).toMatch(/refusing the global/);
  });

  it('refuses an unknown storage type and persistent ids of the wrong shape', async () => {
    expect((await refusal(torchZip(tensorDictPickle('w', '0', 0, [1], [1], 'ComplexFloatStorage'), { 0: new Uint8Array(8) }))).message).toMatch(/refusing the global "torch.ComplexFloatStorage"/);
    const pid = new PickleBuilder().proto().str('storage').op(0x85).persid().stop();
    expect((await refusal(torchZip(pid.done()))).code).toBe('bad-pickle');
  });

  it('survives a dict that contains itself', async () => {
    const p = new PickleBuilder().proto().emptyDict().put(0).str('me').get(0).setitem().stop();
    expect((await refusal(torchZip(p.done()))).code).toBe('missing-tensor');
  });

  it('does not call REDUCE on a non-global', async () => {
    const p = new PickleBuilder().proto().str('x').emptyTuple().reduce().stop();
    expect((await refusal(torchZip(p.done()))).code).toBe('bad-pickle');
  });
});
