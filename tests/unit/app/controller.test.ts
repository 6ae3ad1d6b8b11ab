// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { createStudio, type Studio } from '../../../src/app/controller';
import { createFakeEngine, type FakeEngine, type FakeEngineOptions } from '../../../src/app/fake-engine';
import { createMemoryGallery } from '../../../src/app/gallery';
import { createStudioStore } from '../../../src/app/store';

function memoryStorage(): StateStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

async function until(pred: () => boolean, ms = 5000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let studio: Studio | null = null;
afterEach(() => {
  studio?.controller.dispose();
  studio = null;
});

/** A studio on fake engines; `engines` collects every engine made (a new one after each failure). */
function setup(opts: FakeEngineOptions = {}, tweak: (e: FakeEngine, n: number) => void = () => undefined, cancelTimeoutMs?: number) {
  const engines: FakeEngine[] = [];
  studio = createStudio({
    createEngine: () => {
      const e = createFakeEngine({ stepDelayMs: 2, fileDelayMs: 5, ...opts });
      tweak(e, engines.length);
      engines.push(e);
      return e;
    },
    store: createStudioStore(memoryStorage()),
    gallery: createMemoryGallery(),
    cancelTimeoutMs,
  });
  const s = () => studio!.store.getState();
  const calls = (method: string) => engines.flatMap((e) => e.calls.filter((c) => c.method === method));
  return { ...studio, s, engines, calls };
}

describe('controller: runs through the run machine', () => {
  it('a new Generate supersedes the run in progress: only the newer run reaches the store', async () => {
    const { controller, s, calls } = setup({ stepDelayMs: 5 });
    await controller.start();
    s().setSteps(40);
    const first = controller.generate();
    await until(() => s().run.step >= 2);
    const firstRun = s().run.machine.run;
    s().setSteps(3);
    s().setSeed(8);
    await Promise.all([first, controller.generate()]);
    expect(s().run.machine).toMatchObject({ phase: 'done', run: firstRun + 1 });
    expect(s().run.frames).toHaveLength(3); // none of the first run's steps
    expect(s().run.result?.params).toMatchObject({ steps: 3, seed: 8 });
    expect(calls('cancel').length).toBeGreaterThan(0);
    expect(calls('generate')).toHaveLength(2);
  });

  it('cancelling while the model downloads stops the run; the download still completes', async () => {
    const { controller, s, calls } = setup({ fileDelayMs: 30 });
    await controller.start();
    s().selectModel('dit-256');
    const done = controller.generate();
    await until(() => s().run.loadProgress !== null);
    expect(s().run.status).toBe('loading');
    controller.cancel();
    await done;
    expect([s().run.status, s().run.notice, s().run.machine.phase]).toEqual(['idle', 'Cancelled.', 'cancelled']);
    await until(() => s().model?.imageSize === 256);
    expect(calls('generate')).toHaveLength(0);
    // Generate now reuses the downloaded model.
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(calls('load').filter((c) => (c.arg as { kind: string }).kind === 'hub')).toHaveLength(1);
  });

  it('"Download now" loads the selected model without generating, and not while a run is in progress', async () => {
    const { controller, s, calls } = setup();
    await controller.start();
    s().selectModel('dit-512');
    const loading = controller.loadModel();
    expect(s().run.status).toBe('loading');
    await controller.loadModel(); // busy: ignored
    await loading;
    expect([s().run.status, s().run.machine.goal]).toEqual(['idle', 'model']);
    expect(s().model?.imageSize).toBe(512);
    expect(calls('load').filter((c) => (c.arg as { kind: string }).kind === 'hub')).toHaveLength(1);
    expect(calls('generate')).toHaveLength(0);
    s().setSteps(2);
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(calls('load').filter((c) => (c.arg as { kind: string }).kind === 'hub')).toHaveLength(1);
  });

  it('a failed download is shown; the next Generate starts from a fresh engine', async () => {
    const { controller, s, engines } = setup({}, (e, n) => n === 0 && e.failNextLoad('Download failed: 404'));
    await controller.start(); // the built-in model fails to load
    expect(s().run.error).toMatch(/Could not load the built-in model: Download failed: 404/);
    s().setSteps(2);
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(engines).toHaveLength(2);
    expect(engines[0].disposed).toBe(1);
  });

  it('a GPU device lost between runs is shown at once and a fresh engine started, without a click; Generate then works', async () => {
    const { controller, s, engines, calls } = setup();
    await controller.start();
    s().setSteps(2);
    await controller.generate();
    engines[0].loseDevice('the GPU device was lost (destroyed): Device was destroyed.');
    expect(s().run.error).toBe('the GPU device was lost (destroyed): Device was destroyed.');
    await until(() => engines.length === 2 && s().engine.status === 'ready' && s().model !== null);
    expect(engines[0].disposed).toBe(1);
    expect(engines[1].calls.find((c) => c.method === 'load')?.arg).toEqual({ kind: 'builtin' });
    expect(calls('generate')).toHaveLength(1);
    await controller.generate();
    expect([s().run.status, s().run.error]).toEqual(['done', null]);
    expect(engines).toHaveLength(2);
    expect(engines[1].calls.filter((c) => c.method === 'generate')).toHaveLength(1);
  });

  it('a GPU device lost during a run: the run fails with it, and the next Generate starts a fresh engine', async () => {
    const { controller, s, engines } = setup({ stepDelayMs: 5 });
    await controller.start();
    s().setSteps(50);
    const run = controller.generate();
    await until(() => s().run.step >= 1);
    engines[0].loseDevice('the GPU device was lost (destroyed): Device was destroyed.');
    await run;
    expect([s().run.status, s().run.error]).toEqual(['error', 'the GPU device was lost (destroyed): Device was destroyed.']);
    s().setSteps(2);
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(engines).toHaveLength(2);
  });

  it('a batch that fails (a lost device) is shown like a single run; the next Generate starts a fresh engine', async () => {
    const { controller, s, engines } = setup({}, (e, n) => n === 0 && e.failNextGenerate('GPU device was lost (simulated)'));
    await controller.start();
    s().setSteps(4);
    s().setExplore({ mode: 'sweep' });
    await controller.generate();
    expect(s().run.error).toBe('GPU device was lost (simulated)');
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(engines).toHaveLength(2);
  });

  it("shows the weight loader's notices of the last load, and forgets them with the next", async () => {
    const damaged = 'the cached copy of facebook/DiT-XL-2-256/transformer/diffusion_pytorch_model.safetensors was deleted and is downloaded again: it does not open';
    const { controller, s, engines } = setup();
    await controller.start();
    expect(s().weightsNotices).toEqual([]);
    engines[0].noticeNextLoad(damaged);
    s().selectModel('dit-256');
    s().setSteps(2);
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(s().weightsNotices).toEqual([damaged]);
    s().selectModel('dit-512');
    await controller.loadModel();
    expect(s().model?.imageSize).toBe(512);
    expect(s().weightsNotices).toEqual([]);
  });

  it('wrong settings are not an engine failure: no local files chosen keeps the engine', async () => {
    const { controller, s, engines } = setup();
    await controller.start();
    s().selectModel('files');
    await controller.generate();
    expect(s().run.error).toMatch(/Choose the model files first/);
    s().selectModel('builtin');
    s().setSteps(2);
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(engines).toHaveLength(1);
  });

  it('replaces an engine whose cancelled run does not stop in time', async () => {
    const { controller, s, engines } = setup(
      { stepDelayMs: 10 },
      (e, n) => {
        if (n === 0) e.cancel = () => undefined; // ignores cancel: the run keeps going
      },
      50,
    );
    await controller.start();
    s().setSteps(300);
    void controller.generate();
    await until(() => s().run.step >= 1);
    s().setSteps(2);
    await controller.generate();
    expect(s().run.status).toBe('done');
    expect(engines).toHaveLength(2);
    expect(engines[0].disposed).toBe(1);
  });

  it('reports nothing after dispose', async () => {
    const { controller, s, store } = setup({ stepDelayMs: 5 });
    await controller.start();
    s().setSteps(50);
    const done = controller.generate();
    await until(() => s().run.step >= 1);
    let changes = 0;
    const unsub = store.subscribe(() => changes++);
    controller.dispose();
    await done;
    await new Promise((r) => setTimeout(r, 30));
    unsub();
    expect(changes).toBe(0);
    await controller.generate();
    expect(s().run.status).toBe('running'); // frozen where it was
  });
});
