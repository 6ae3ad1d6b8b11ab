// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { createStudio } from '../../../src/app/controller';
import { createFakeEngine, type FakeEngine } from '../../../src/app/fake-engine';
import { createMemoryGallery } from '../../../src/app/gallery';
import { effectiveModel, modelSpec, urlModelFromSearch } from '../../../src/app/state/model-choice';
import { SETTINGS_KEY } from '../../../src/app/state/persistence';
import { shouldRegenerateOnRelease } from '../../../src/app/state/run';
import { DEFAULT_SETTINGS } from '../../../src/app/state/settings';
import { createStudioStore, type StudioState } from '../../../src/app/store';

function memoryStorage(): StateStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

async function until(pred: () => boolean, ms = 5000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('store: settings', () => {
  it('starts with the defaults', () => {
    const s = createStudioStore(memoryStorage()).getState();
    expect(s.settings).toEqual(DEFAULT_SETTINGS);
    expect(s.settings.cfgScale).toBe(4.0);
    expect(s.settings.model).toBe('builtin');
    expect(s.run.status).toBe('idle');
    expect(s.engine.status).toBe('starting');
    expect(s.gallery).toEqual([]);
  });

  it('validates what the controls set', () => {
    const store = createStudioStore(memoryStorage());
    const s = () => store.getState();
    s().setCfgScale(0.2);
    expect(s().settings.cfgScale).toBe(1);
    s().setCfgScale(42);
    expect(s().settings.cfgScale).toBe(10);
    s().setCfgScale(4.26);
    expect(s().settings.cfgScale).toBe(4.3);
    s().setSteps(0);
    expect(s().settings.steps).toBe(1);
    s().setSteps(12.6);
    expect(s().settings.steps).toBe(13);
    s().setSeed(-5);
    expect(s().settings.seed).toBe(0);
    s().setSeed(2 ** 40);
    expect(s().settings.seed).toBe(0xffffffff);
    s().setClassId(1000);
    s().setClassId(-1);
    expect(s().settings.classId).toBe(DEFAULT_SETTINGS.classId);
    s().setClassId(281);
    expect(s().settings.classId).toBe(281);
    s().randomizeSeed();
    expect(Number.isInteger(s().settings.seed)).toBe(true);
  });

  it('moves the default step count with the sampler but keeps a chosen one', () => {
    const store = createStudioStore(memoryStorage());
    const s = () => store.getState();
    s().setSampler('ddpm');
    expect(s().settings.steps).toBe(250);
    s().setSampler('dpm++');
    expect(s().settings.steps).toBe(20);
    s().setSteps(33);
    s().setSampler('ddim');
    expect(s().settings.steps).toBe(33);
  });

  it('selects the DiT-XL/2 repos with the size', () => {
    const store = createStudioStore(memoryStorage());
    const s = () => store.getState();
    s().selectModel('dit-512');
    expect(effectiveModel(s())).toEqual({ kind: 'hub', hubUrl: 'https://huggingface.co', repo: 'facebook/DiT-XL-2-512', revision: 'main' });
    expect(s().settings.size).toBe(512);
    s().setSize(256);
    expect(s().settings.hubRepo).toBe('facebook/DiT-XL-2-256');
    s().setHub({ hubRepo: 'me/my-dit' });
    s().setSize(512);
    expect(s().settings.hubRepo).toBe('me/my-dit'); // a custom repo is kept
    s().selectModel('builtin');
    expect(modelSpec(s())).toEqual({ kind: 'builtin' });
  });
});

describe('store: persistence', () => {
  it('restores settings after a reload, not the run state', () => {
    const storage = memoryStorage();
    const a = createStudioStore(storage);
    a.getState().setClassId(281);
    a.getState().setCfgScale(6.5);
    a.getState().setSampler('dpm++');
    a.getState().setSeed(1234);
    a.getState().selectModel('dit-256');
    a.getState().runFailed('boom');
    expect(storage.data.get(SETTINGS_KEY)).toContain('6.5');

    const b = createStudioStore(storage).getState();
    expect(b.settings).toMatchObject({ classId: 281, cfgScale: 6.5, sampler: 'dpm++', steps: 20, seed: 1234, model: 'hub' });
    expect(b.run.status).toBe('idle');
    expect(b.run.error).toBeNull();
  });

  it('uses localStorage by default', () => {
    localStorage.clear();
    createStudioStore().getState().setSeed(77);
    expect(JSON.parse(localStorage.getItem(SETTINGS_KEY)!).state.settings.seed).toBe(77);
    expect(createStudioStore().getState().settings.seed).toBe(77);
    localStorage.clear();
  });

  it('sanitizes bad stored values and never restores local files', () => {
    const storage = memoryStorage();
    storage.setItem(
      SETTINGS_KEY,
      JSON.stringify({
        state: { settings: { classId: 5000, cfgScale: 'x', steps: 99999, sampler: 'euler', seed: 3.7, size: 1024, model: 'files', hubUrl: '' } },
        version: 1,
      }),
    );
    const s = createStudioStore(storage).getState().settings;
    expect(s).toEqual({ ...DEFAULT_SETTINGS, steps: 1000, seed: 3 });
  });

  it('survives garbage in storage', () => {
    const storage = memoryStorage();
    storage.setItem(SETTINGS_KEY, '{not json');
    expect(createStudioStore(storage).getState().settings).toEqual(DEFAULT_SETTINGS);
  });

  it('URL parameters select a Hub model without persisting it', () => {
    expect(urlModelFromSearch('')).toBeNull();
    expect(urlModelFromSearch('?engine=fake')).toBeNull();
    const m = urlModelFromSearch('?hub=https://hub.example&repo=org/dit&revision=abc123');
    expect(m).toEqual({ hubUrl: 'https://hub.example', repo: 'org/dit', revision: 'abc123' });
    expect(urlModelFromSearch('?repo=org/dit')).toEqual({ hubUrl: 'https://huggingface.co', repo: 'org/dit', revision: 'main' });

    const storage = memoryStorage();
    const store = createStudioStore(storage);
    store.getState().applyUrlModel(m);
    store.getState().setSeed(5);
    expect(modelSpec(store.getState())).toEqual({ kind: 'hub', hubUrl: 'https://hub.example', repo: 'org/dit', revision: 'abc123', dtype: 'f32' });
    const reloaded = createStudioStore(storage).getState();
    expect(reloaded.settings.model).toBe('builtin');
    expect(reloaded.urlModel).toBeNull();
  });
});

describe('store: regenerate when the guidance slider is released', () => {
  const base = () => createStudioStore(memoryStorage()).getState();
  const finished = (s: StudioState, cfg: number): StudioState => ({
    ...s,
    engine: { status: 'ready', error: null, adapter: null },
    run: {
      ...s.run,
      status: 'done',
      result: { params: { classId: 1, cfgScale: cfg, steps: 4, sampler: 'ddim', seed: 9 }, model: { kind: 'builtin' }, modelId: 'b', modelName: 'b', elapsedMs: 1 },
    },
  });

  it('only after an image is finished', () => {
    const s = base();
    expect(shouldRegenerateOnRelease({ ...s, settings: { ...s.settings, cfgScale: 7 } })).toBe(false);
  });

  it('when the guidance differs from the finished image', () => {
    const s = finished(base(), 4);
    expect(shouldRegenerateOnRelease({ ...s, settings: { ...s.settings, cfgScale: 4 } })).toBe(false);
    expect(shouldRegenerateOnRelease({ ...s, settings: { ...s.settings, cfgScale: 4.1 } })).toBe(true);
  });

  it('while running: when the guidance differs from the run in progress', () => {
    const s = finished(base(), 4);
    const running: StudioState = { ...s, run: { ...s.run, status: 'running', activeParams: { ...s.run.result!.params, cfgScale: 6 } } };
    expect(shouldRegenerateOnRelease({ ...running, settings: { ...s.settings, cfgScale: 6 } })).toBe(false);
    expect(shouldRegenerateOnRelease({ ...running, settings: { ...s.settings, cfgScale: 7 } })).toBe(true);
  });

  it('never without WebGPU', () => {
    const s = finished(base(), 4);
    expect(shouldRegenerateOnRelease({ ...s, engine: { status: 'unavailable', error: 'x', adapter: null }, settings: { ...s.settings, cfgScale: 8 } })).toBe(false);
  });
});

describe('controller with the fake engine', () => {
  let fake: FakeEngine;
  let studio: ReturnType<typeof createStudio>;
  afterEach(() => studio?.controller.dispose());

  function setup(opts: Parameters<typeof createFakeEngine>[0] = {}) {
    fake = createFakeEngine({ stepDelayMs: 2, ...opts });
    studio = createStudio({ createEngine: () => fake, store: createStudioStore(memoryStorage()), gallery: createMemoryGallery() });
    return studio;
  }
  const generates = () => fake.calls.filter((c) => c.method === 'generate').map((c) => c.arg as { cfgScale: number; classId: number; seed: number });

  it('starts, loads the built-in model and moves to a class it knows', async () => {
    const { store, controller } = setup({ knownClasses: [1, 281] });
    await controller.start();
    const s = store.getState();
    expect(s.engine.status).toBe('ready');
    expect(s.model?.knownClasses).toEqual([1, 281]);
    expect(s.settings.classId).toBe(1);
  });

  it('generates, keeps every step for the scrubber and adds to the gallery', async () => {
    const { store, controller } = setup();
    await controller.start();
    store.getState().setSteps(6);
    await controller.generate();
    const { run } = store.getState();
    expect(run.status).toBe('done');
    expect(run.step).toBe(6);
    expect(run.total).toBe(6);
    expect(run.frames).toHaveLength(6);
    expect(run.finalImage?.width).toBe(32);
    await until(() => store.getState().gallery.length === 1);
    expect(store.getState().gallery[0].params.steps).toBe(6);
    expect(store.getState().gallery[0].thumbnail).toMatch(/^data:image\/png;base64,/);
  });

  it('regenerates on slider release with the same class and seed, cancelling a run in progress', async () => {
    const { store, controller } = setup({ stepDelayMs: 5 });
    await controller.start();
    const s = () => store.getState();
    s().setSteps(20);
    s().setSeed(99);
    controller.guidanceReleased(); // nothing finished yet: no run
    expect(generates()).toHaveLength(0);
    await controller.generate();
    controller.guidanceReleased(); // same guidance: nothing to do
    await new Promise((r) => setTimeout(r, 20));
    expect(generates()).toHaveLength(1);

    s().setCfgScale(6);
    controller.guidanceReleased();
    await until(() => s().run.step >= 2 && s().run.activeParams?.cfgScale === 6);
    s().setCfgScale(7.5);
    controller.guidanceReleased();
    await until(() => s().run.status === 'done');
    expect(fake.calls.some((c) => c.method === 'cancel')).toBe(true);
    const g = generates();
    expect(g.map((p) => p.cfgScale)).toEqual([4, 6, 7.5]);
    expect(new Set(g.map((p) => `${p.classId}/${p.seed}`)).size).toBe(1);
    expect(s().run.result?.params.cfgScale).toBe(7.5);
  });

  it('cancels', async () => {
    const { store, controller } = setup({ stepDelayMs: 10 });
    await controller.start();
    store.getState().setSteps(100);
    const done = controller.generate();
    await until(() => store.getState().run.step >= 2);
    controller.cancel();
    await done;
    const { run } = store.getState();
    expect(run.status).toBe('idle');
    expect(run.notice).toBe('Cancelled.');
    expect(run.step).toBeLessThan(100);
    expect(run.result).toBeNull();
  });

  it('shows an error, replaces the engine, and the next generate works', async () => {
    const engines: FakeEngine[] = [];
    studio = createStudio({
      createEngine: () => {
        const e = createFakeEngine({ stepDelayMs: 1 });
        if (engines.length === 0) e.failNextGenerate('GPU device was lost');
        engines.push(e);
        return e;
      },
      store: createStudioStore(memoryStorage()),
      gallery: createMemoryGallery(),
    });
    const { store, controller } = studio;
    await controller.start();
    store.getState().setSteps(4);
    store.getState().setSeed(3);
    await controller.generate();
    expect(store.getState().run.status).toBe('error');
    expect(store.getState().run.error).toMatch(/device was lost/);
    expect(store.getState().settings.seed).toBe(3);
    await controller.generate();
    expect(store.getState().run.status).toBe('done');
    expect(store.getState().run.error).toBeNull();
    expect(engines).toHaveLength(2);
    expect(engines[0].disposed).toBe(1);
  });

  it('marks the engine unavailable when init fails, and can try again', async () => {
    const { store, controller } = setup({ initError: 'No WebGPU adapter found' });
    await controller.start();
    expect(store.getState().engine).toMatchObject({ status: 'unavailable', error: 'No WebGPU adapter found' });
    await controller.generate();
    expect(store.getState().run.status).toBe('error');
  });

  it('downloads a Hub model from URL parameters on Generate, reporting progress', async () => {
    fake = createFakeEngine({ stepDelayMs: 1, fileDelayMs: 10 });
    studio = createStudio({
      createEngine: () => fake,
      store: createStudioStore(memoryStorage()),
      gallery: createMemoryGallery(),
      urlModel: urlModelFromSearch('?hub=https://hub.example&repo=facebook/DiT-XL-2-256&revision=r1'),
    });
    const { store, controller } = studio;
    const seen: string[] = [];
    const unsub = store.subscribe((s) => s.run.loadProgress && seen.push(s.run.loadProgress.file));
    await controller.start();
    expect(fake.calls.filter((c) => c.method === 'load')).toHaveLength(0); // not before Generate
    store.getState().setSteps(3);
    await controller.generate();
    unsub();
    expect(fake.calls.find((c) => c.method === 'load')?.arg).toEqual({
      kind: 'hub',
      hubUrl: 'https://hub.example',
      repo: 'facebook/DiT-XL-2-256',
      revision: 'r1',
      dtype: 'f32',
    });
    expect(seen).toContain('transformer/diffusion_pytorch_model.safetensors');
    expect(store.getState().run.status).toBe('done');
    expect(store.getState().run.finalImage?.width).toBe(256);
    expect(store.getState().model?.license).toMatch(/NC/);
    // A second image reuses the loaded model.
    await controller.generate();
    expect(fake.calls.filter((c) => c.method === 'load')).toHaveLength(1);
  });
});
