import { describe, expect, it } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import type { GenerateParams, ModelInfo } from '../../../src/engine/api';
import { modelIdentity } from '../../../src/engine/model-identity';
import { DIT_HUB_MODELS, ditRepoForSize } from '../../../src/model/hub-models';
import { SAMPLER_KINDS } from '../../../src/sampling/sampler-kind';
import type { GalleryItem } from '../../../src/app/gallery';
import { classForLoadedModel, modelClasses } from '../../../src/app/state/classes';
import { BUILTIN_MODEL_KEY, effectiveModel, loadedModel, modelKey, modelSpec, pickerChoice, selectedHubSize } from '../../../src/app/state/model-choice';
import { SETTINGS_KEY, sanitizeSettings } from '../../../src/app/state/persistence';
import { INITIAL_RUN, reduceRun, type RunState } from '../../../src/app/state/run';
import { DEFAULT_SETTINGS, SAMPLERS, samplerLabel, validClassId, validSettings } from '../../../src/app/state/settings';
import { createStudioStore } from '../../../src/app/store';

function memoryStorage(): StateStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

const newStore = () => createStudioStore(memoryStorage());
const URL_DIT = { hubUrl: 'http://hub.test', repo: ditRepoForSize(256), revision: 'r1' };
const URL_OTHER = { hubUrl: 'http://hub.test', repo: 'org/tiny', revision: 'r2' };

function galleryItem(model: GalleryItem['model'], params: Partial<GenerateParams> = {}, width = 512): GalleryItem {
  return {
    id: 'x',
    createdAt: 0,
    params: { classId: 281, cfgScale: 6, steps: 12, sampler: 'ddpm', seed: 5, ...params },
    model,
    modelId: 'm',
    modelName: 'm',
    width,
    height: width,
    thumbnail: '',
  };
}

describe('settings: one validation where input enters', () => {
  it('validClassId accepts ImageNet ids only', () => {
    expect([0, 999, '281', 281].map(validClassId)).toEqual([0, 999, 281, 281]);
    expect([1000, -1, 2.5, 'x', '', null, undefined, NaN].map(validClassId)).toEqual(Array(8).fill(null));
  });

  it('validSettings keeps the valid fields, one rule each', () => {
    expect(validSettings({ classId: 1000, sampler: 'euler', size: 1024, precision: 'f64', model: 'cloud', hubUrl: ' ', hubRepo: 3 })).toEqual({});
    expect(validSettings({ classId: '7', cfgScale: 99, steps: 0.4, seed: -1, hubRepo: ' me/dit ' })).toEqual({
      classId: 7,
      cfgScale: 10,
      steps: 1,
      seed: 0,
      hubRepo: 'me/dit',
    });
    // Guidance, steps and seed that are not numbers fall back to the defaults.
    expect(validSettings({ cfgScale: 'x', steps: undefined, seed: NaN })).toEqual({ cfgScale: 4, steps: 50, seed: 0 });
  });

  it('the same class-id rule at every edge: the class control, stored settings, a gallery item', () => {
    const store = newStore();
    store.getState().setClassId(1000);
    expect(store.getState().settings.classId).toBe(DEFAULT_SETTINGS.classId);
    store.getState().setClassId(3);
    store.getState().restoreFromGallery(galleryItem({ kind: 'files', name: 'f' }, { classId: 5000 }));
    expect(store.getState().settings.classId).toBe(3);
    expect(sanitizeSettings({ classId: -4 }).classId).toBe(DEFAULT_SETTINGS.classId);
    expect(sanitizeSettings({ classId: '12' }).classId).toBe(12);
  });

  it('samplers are the engine’s, in its order, with the app’s labels', () => {
    expect(SAMPLERS.map((s) => s.value)).toEqual([...SAMPLER_KINDS]);
    expect(SAMPLERS.map((s) => s.defaultSteps)).toEqual([250, 50, 20]);
    expect(samplerLabel('dpm++')).toBe('DPM-Solver++');
    expect(samplerLabel('euler')).toBe('euler');
    expect(sanitizeSettings({ sampler: 'dpm++' }).sampler).toBe('dpm++');
  });

  it('the defaults name the 256 px DiT-XL/2 repo from hub-models', () => {
    expect(DEFAULT_SETTINGS.hubRepo).toBe(DIT_HUB_MODELS.find((m) => m.imageSize === 256)!.repo);
  });
});

describe('model choice: the model chosen by the page address gives way', () => {
  const withUrl = (url = URL_DIT) => {
    const store = newStore();
    store.getState().applyUrlModel(url);
    return store;
  };

  it('to the model picker (starting from the settings, not the URL)', () => {
    const store = withUrl();
    store.getState().selectModel('dit-512');
    expect(store.getState().urlModel).toBeNull();
    expect(effectiveModel(store.getState())).toEqual({ kind: 'hub', hubUrl: DEFAULT_SETTINGS.hubUrl, repo: ditRepoForSize(512), revision: 'main' });
    const b = withUrl();
    b.getState().selectModel('builtin');
    expect(b.getState().urlModel).toBeNull();
    expect(b.getState().settings).toMatchObject({ model: 'builtin', hubUrl: DEFAULT_SETTINGS.hubUrl, hubRevision: 'main' });
  });

  it('to an edit of the Hub fields, which starts from the URL’s model', () => {
    const store = withUrl(URL_OTHER);
    store.getState().setHub({ hubRevision: 'r3' });
    expect(store.getState().urlModel).toBeNull();
    expect(effectiveModel(store.getState())).toEqual({ kind: 'hub', hubUrl: 'http://hub.test', repo: 'org/tiny', revision: 'r3' });
  });

  it('to the other image size of a DiT-XL/2 repo (same hub and revision); a size never replaces another repo', () => {
    const store = withUrl();
    expect(selectedHubSize(store.getState())).toBe(256);
    store.getState().setSize(512);
    expect(store.getState().urlModel).toBeNull();
    expect(effectiveModel(store.getState())).toEqual({ kind: 'hub', hubUrl: 'http://hub.test', repo: ditRepoForSize(512), revision: 'r1' });
    const other = withUrl(URL_OTHER);
    other.getState().setSize(512);
    expect(other.getState().urlModel).toEqual(URL_OTHER);
    expect(selectedHubSize(other.getState())).toBeNull();
  });

  it('to local files, but not to clearing them', () => {
    const store = withUrl();
    store.getState().setLocalFiles(null);
    expect(store.getState().urlModel).toEqual(URL_DIT);
    store.getState().setLocalFiles({ transformer: new File(['x'], 'model.safetensors'), ignored: [] });
    expect(store.getState().urlModel).toBeNull();
    expect(effectiveModel(store.getState()).kind).toBe('files');
  });

  it('to a restored gallery item of the built-in or a Hub model, not of local files', () => {
    const store = withUrl();
    store.getState().restoreFromGallery(galleryItem({ kind: 'files', name: 'f' }));
    expect(store.getState().urlModel).toEqual(URL_DIT);
    expect(store.getState().settings).toMatchObject({ classId: 281, cfgScale: 6, steps: 12, sampler: 'ddpm', seed: 5 });
    store.getState().restoreFromGallery(galleryItem({ kind: 'hub', hubUrl: 'http://other', repo: ditRepoForSize(512), revision: 'v' }));
    expect(store.getState().urlModel).toBeNull();
    expect(store.getState().settings).toMatchObject({ model: 'hub', size: 512, hubUrl: 'http://other', hubRepo: ditRepoForSize(512), hubRevision: 'v' });
    const b = withUrl();
    b.getState().restoreFromGallery(galleryItem({ kind: 'builtin' }, {}, 32));
    expect(b.getState().urlModel).toBeNull();
    expect(b.getState().settings.model).toBe('builtin');
  });

  it('the picker shows known repos by size, any other as custom', () => {
    expect(pickerChoice({ kind: 'builtin' })).toBe('builtin');
    expect(pickerChoice({ kind: 'files', name: 'f' })).toBe('files');
    expect(pickerChoice({ kind: 'hub', hubUrl: 'h', repo: ditRepoForSize(512), revision: 'main' })).toBe('dit-512');
    expect(pickerChoice({ kind: 'hub', hubUrl: 'h', repo: 'org/x', revision: 'main' })).toBe('custom');
  });
});

describe('model identity', () => {
  it('the selected model’s key is the engine’s identity of its spec', () => {
    const store = newStore();
    expect(modelKey(store.getState())).toBe(BUILTIN_MODEL_KEY);
    store.getState().selectModel('dit-256');
    const spec = modelSpec(store.getState());
    expect(typeof spec).toBe('object');
    expect(modelKey(store.getState())).toBe(modelIdentity(spec as Exclude<typeof spec, string>));
    store.getState().selectModel('files');
    expect(modelSpec(store.getState())).toMatch(/Choose the model files first/);
    expect(modelKey(store.getState())).toBeNull();
  });

  it('a loaded model counts as the selected one when its ModelInfo.id is the selected key', () => {
    const store = newStore();
    const info = (id: string, extra: Partial<ModelInfo> = {}): ModelInfo => ({ id, name: id, imageSize: 256, numClasses: 10, license: 'MIT', cached: false, ...extra });
    store.getState().selectModel('dit-256');
    store.getState().modelLoaded(info('something else'));
    expect(loadedModel(store.getState())).toBeNull();
    expect(modelClasses(store.getState())).toBeNull();
    store.getState().modelLoaded(info(modelKey(store.getState())!));
    expect(loadedModel(store.getState())?.numClasses).toBe(10);
    const classes = modelClasses(store.getState());
    expect(classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(modelClasses({ ...store.getState() })).toBe(classes); // a stable selector result
  });

  it('the built-in model moves the class to one it knows', () => {
    const builtin: ModelInfo = { id: BUILTIN_MODEL_KEY, name: 'b', imageSize: 32, numClasses: 1000, knownClasses: [1, 207, 281], license: 'MIT', cached: true };
    expect(classForLoadedModel(builtin, 281, 207)).toBe(281);
    expect(classForLoadedModel(builtin, 5, 207)).toBe(207);
    expect(classForLoadedModel({ ...builtin, knownClasses: [1, 2] }, 5, 207)).toBe(1);
    expect(classForLoadedModel({ ...builtin, id: 'hub:x' }, 5, 207)).toBe(5);
  });
});

describe('run state', () => {
  const params: GenerateParams = { classId: 1, cfgScale: 4, steps: 2, sampler: 'ddim', seed: 0 };
  const frame = { width: 4, height: 4, rgba: new Uint8ClampedArray(64) };

  it('a rejected event leaves the run untouched (the same object)', () => {
    expect(reduceRun(INITIAL_RUN, { type: 'cancel' })).toBe(INITIAL_RUN);
    expect(reduceRun(INITIAL_RUN, { type: 'step', run: 0, step: 1, total: 2, preview: frame, views: { x0: frame, xt: frame, eps: frame }, stepsPerSecond: 1 })).toBe(INITIAL_RUN);
  });

  it('keeps the UI status in step with the machine and collects frames', () => {
    let r: RunState = reduceRun(INITIAL_RUN, { type: 'generate', load: false, params });
    expect([r.status, r.total, r.activeParams]).toEqual(['running', 2, params]);
    r = reduceRun(r, { type: 'step', run: 1, step: 1, total: 2, preview: frame, views: { x0: frame, xt: frame, eps: frame }, stepsPerSecond: 3 });
    r = reduceRun(r, { type: 'step', run: 1, step: 2, total: 2, preview: frame, views: { x0: frame, xt: frame, eps: frame }, stepsPerSecond: 3 });
    expect([r.machine.phase, r.status, r.progress, r.frames.length]).toEqual(['decoding', 'running', 1, 2]);
    const stale = reduceRun(r, { type: 'failed', run: 0, message: 'old' });
    expect(stale).toBe(r);
    r = reduceRun(r, { type: 'cancel' });
    expect([r.status, r.notice]).toEqual(['idle', 'Cancelled.']);
    r = reduceRun(r, { type: 'failed', message: 'Could not clear the cache' });
    expect([r.status, r.error]).toEqual(['error', 'Could not clear the cache']);
    r = reduceRun(r, { type: 'dismiss' });
    expect([r.status, r.error]).toEqual(['idle', null]);
  });

  it('is not persisted', () => {
    const storage = memoryStorage();
    const store = createStudioStore(storage);
    store.getState().runEvent({ type: 'generate', load: true, params });
    expect(JSON.parse(storage.getItem(SETTINGS_KEY) as string).state).toEqual({ settings: DEFAULT_SETTINGS });
  });
});
