/**
 * The Engine when its GPU device is lost between runs: the host hears it at once, and nothing of
 * the dead device is used again (the model is loaded again on a new device). The device, the model
 * files and the loaders are stand-ins: only the engine's own bookkeeping runs.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import '../../support/webgpu-constants.ts';
import type { GpuContext } from '../../../src/engine/gpu-context.ts';

/** Each device opened, and how to lose it (as createGpu wires `device.lost`). */
const devices: { ctx: GpuContext; lose(): void }[] = [];

function fakeContext(): GpuContext {
  let lose!: () => void;
  const lost = new Promise<{ reason: string; message: string }>((r) => (lose = () => r({ reason: 'destroyed', message: 'Device was destroyed.' })));
  const gpu = { device: { lost }, lostReason: null as string | null };
  lost.then((l) => { gpu.lostReason = `the GPU device was lost (${l.reason}): ${l.message}`; });
  const ctx = { gpu, alloc: { freeAll() {} }, pipelines: {} } as unknown as GpuContext;
  devices.push({ ctx, lose });
  return ctx;
}

vi.mock('../../../src/engine/gpu-context.ts', () => ({
  createGpuContext: async () => fakeContext(),
  adapterSummary: () => ({ vendor: 'fake', architecture: '', description: '', features: [], maxStorageBufferBindingSize: 0, maxBufferSize: 0 }),
}));
vi.mock('../../../src/engine/model-sources.ts', () => ({
  resolveModelFiles: async (_spec: unknown, o: { onNotice?: (m: string) => void }) => {
    o.onNotice?.('the cached copy of org/m/transformer was deleted and is downloaded again: it does not open');
    return { name: 'm', transformer: {}, config: { in_channels: 3, input_size: 4, num_classes: 10 }, license: 'MIT', cached: true };
  },
}));
/** The DiT runner remembers the device it was loaded on. */
const loadDit = vi.fn(async (ctx: GpuContext) => ({ ctx }));
vi.mock('../../../src/engine/model-loader.ts', () => ({ loadDit: (ctx: GpuContext) => loadDit(ctx), loadVae: async () => null }));

const { Engine } = await import('../../../src/engine/engine.ts');

const flush = () => new Promise((r) => setTimeout(r, 0));
const params = { classId: 1, cfgScale: 1, seed: 0, steps: 1, sampler: 'ddim' as const };

beforeEach(() => {
  devices.length = 0;
  loadDit.mockClear();
});

describe('Engine: a device lost between runs', () => {
  it('tells the host at once, with no call in flight', async () => {
    const engine = new Engine('http://app/models/builtin/');
    const heard: string[] = [];
    engine.onDeviceLost((m) => heard.push(m));
    await engine.init();
    devices[0].lose();
    await flush();
    expect(heard).toEqual(['the GPU device was lost (destroyed): Device was destroyed.']);
  });

  it('drops the model: generate says the device was lost, and the same load loads it again on a new device', async () => {
    const engine = new Engine('http://app/models/builtin/');
    await engine.load({ kind: 'builtin' });
    expect(loadDit.mock.calls.map(([ctx]) => ctx)).toEqual([devices[0].ctx]);
    devices[0].lose();
    await flush();

    await expect(engine.generate(params)).rejects.toMatchObject({ name: 'GpuError', kind: 'lost', message: expect.stringMatching(/device was lost.*load the model again/) });
    await engine.load({ kind: 'builtin' });
    expect(devices).toHaveLength(2);
    expect(loadDit.mock.calls.map(([ctx]) => ctx)).toEqual([devices[0].ctx, devices[1].ctx]);
  });
});

describe('Engine.load', () => {
  it("passes the weight loader's notices to the host", async () => {
    const engine = new Engine('http://app/models/builtin/');
    const notices: string[] = [];
    await engine.load({ kind: 'hub', hubUrl: 'http://hub', repo: 'org/m' }, undefined, (m) => notices.push(m));
    await flush();
    expect(notices).toEqual(['the cached copy of org/m/transformer was deleted and is downloaded again: it does not open']);
  });
});
