import { expose } from 'comlink';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWorkerEngine, EngineCrashedError, WebGpuUnavailableError } from '../../../src/app/engine-client';
import { createFakeEngine, type FakeEngine } from '../../../src/app/fake-engine';
import type { LoadProgress, StepUpdate } from '../../../src/engine/api';

/** A stand-in for `Worker`: the "worker side" is a fake engine exposed with comlink on a MessageChannel. */
class ChannelWorker extends EventTarget {
  static instances: ChannelWorker[] = [];
  url: string;
  terminated = false;
  /** The engine on the "worker side". */
  readonly engine: FakeEngine = createFakeEngine({ stepDelayMs: 1, fileDelayMs: 5 });
  private port: MessagePort;
  constructor(url: URL | string, public options?: WorkerOptions) {
    super();
    this.url = String(url);
    const { port1, port2 } = new MessageChannel();
    expose(this.engine, port2);
    this.port = port1;
    port1.addEventListener('message', (e) => this.dispatchEvent(new MessageEvent('message', { data: (e as MessageEvent).data })));
    port1.start();
    ChannelWorker.instances.push(this);
  }
  postMessage(data: unknown, transfer?: Transferable[]) {
    this.port.postMessage(data, (transfer ?? []) as never);
  }
  terminate() {
    this.terminated = true;
    this.port.close();
  }
  crash(message: string) {
    const ev = new Event('error') as Event & { message: string };
    ev.message = message;
    this.dispatchEvent(ev);
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  ChannelWorker.instances = [];
});

describe('createWorkerEngine', () => {
  it('reports missing WebGPU without starting a worker', async () => {
    vi.stubGlobal('navigator', {});
    vi.stubGlobal('Worker', ChannelWorker);
    const engine = createWorkerEngine();
    await expect(engine.init()).rejects.toBeInstanceOf(WebGpuUnavailableError);
    expect(ChannelWorker.instances).toHaveLength(0);
  });

  it('talks to the worker through comlink: callbacks, results, cancellation, dispose', async () => {
    vi.stubGlobal('navigator', { gpu: {} });
    vi.stubGlobal('Worker', ChannelWorker);
    const engine = createWorkerEngine();
    const adapter = await engine.init();
    expect(adapter.features).toContain('shader-f16');
    const w = ChannelWorker.instances[0];
    expect(w.url).toMatch(/worker\/engine\.worker\.ts$/);
    expect(w.options).toMatchObject({ type: 'module' });

    const progress: LoadProgress[] = [];
    const info = await engine.load({ kind: 'hub', hubUrl: 'https://h', repo: 'facebook/DiT-XL-2-256' }, (p) => progress.push(p));
    expect(info.imageSize).toBe(256);
    expect(progress.length).toBeGreaterThan(0);

    const steps: StepUpdate[] = [];
    const result = await engine.generate({ classId: 1, cfgScale: 4, steps: 3, sampler: 'ddim', seed: 1 }, (s) => steps.push(s));
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(steps[2].preview.rgba.length).toBe(256 * 256 * 4);
    expect(result.image.width).toBe(256);

    const run = engine.generate({ classId: 1, cfgScale: 4, steps: 500, sampler: 'ddim', seed: 1 });
    await new Promise((r) => setTimeout(r, 20));
    engine.cancel();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });

    engine.dispose();
    expect(w.terminated).toBe(true);
    await expect(engine.clearCache()).rejects.toBeInstanceOf(EngineCrashedError);
  });

  it("passes the worker's calls back to the page: a load's notices, and a device lost between runs", async () => {
    vi.stubGlobal('navigator', { gpu: {} });
    vi.stubGlobal('Worker', ChannelWorker);
    const engine = createWorkerEngine();
    await engine.init();
    const worker = ChannelWorker.instances[0].engine;

    worker.noticeNextLoad('the cached copy of org/m/transformer was deleted and is downloaded again');
    const notices: string[] = [];
    await engine.load({ kind: 'hub', hubUrl: 'https://h', repo: 'org/m' }, undefined, (m) => notices.push(m));
    expect(notices).toEqual(['the cached copy of org/m/transformer was deleted and is downloaded again']);

    const lost: string[] = [];
    engine.onDeviceLost((m) => lost.push(m));
    await vi.waitFor(() => expect(worker.calls.some((c) => c.method === 'onDeviceLost')).toBe(true));
    worker.loseDevice('the GPU device was lost (destroyed)');
    await vi.waitFor(() => expect(lost).toEqual(['the GPU device was lost (destroyed)']));
    engine.dispose();
  });

  it('rejects pending calls when the worker dies', async () => {
    vi.stubGlobal('navigator', { gpu: {} });
    vi.stubGlobal('Worker', ChannelWorker);
    const engine = createWorkerEngine();
    await engine.init();
    await engine.load({ kind: 'builtin' });
    const run = engine.generate({ classId: 1, cfgScale: 4, steps: 1000, sampler: 'ddim', seed: 1 });
    ChannelWorker.instances[0].crash('out of memory');
    await expect(run).rejects.toThrow(/engine worker failed: out of memory/);
    await expect(engine.init()).rejects.toBeInstanceOf(EngineCrashedError);
    engine.dispose();
  });
});
