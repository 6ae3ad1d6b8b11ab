// @vitest-environment happy-dom
/**
 * Exploring the model, without the UI: batch plans (guidance sweep, seed grid, blend strip), which
 * cell is the current picture, the sweep's nearest scale and the slider release, picture links
 * (round trip and bad input), and batched runs through the controller on the fake engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import type { BatchParams, GenerateParams } from '../../../src/engine/api';
import { createStudio, type Studio } from '../../../src/app/controller';
import { linkFor, pngTextFor, PNG_LINK_KEY } from '../../../src/app/download';
import { createFakeEngine, type FakeEngine } from '../../../src/app/fake-engine';
import { createMemoryGallery } from '../../../src/app/gallery';
import { readPngText } from '../../../src/app/png';
import { batchPlan, cellSettings, DEFAULT_EXPLORE, gridSeeds, nearestIndex, parseSweepScales, selectedCell, type BatchPlan } from '../../../src/app/state/explore';
import { pictureLink, settingsFromLink } from '../../../src/app/state/link';
import { currentPicture } from '../../../src/app/state/picture';
import { frameSide, INITIAL_RUN, reduceRun, shouldRegenerateOnRelease, type RunState } from '../../../src/app/state/run';
import { DEFAULT_SETTINGS, paramsFromSettings, SEED_MAX } from '../../../src/app/state/settings';
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

const params: GenerateParams = { classId: 291, cfgScale: 4, steps: 6, sampler: 'ddim', seed: 7 };
const plan = (kind: 'sweep' | 'grid' | 'strip', p: GenerateParams = params, explore = DEFAULT_EXPLORE) => batchPlan(kind, p, explore) as BatchPlan;

describe('batch plans', () => {
  it('parses the sweep scales: clamped, rounded, deduplicated, ascending; 2 to 8 of them', () => {
    expect(parseSweepScales('1, 2, 4, 8')).toEqual([1, 2, 4, 8]);
    expect(parseSweepScales('8 4;4,2')).toEqual([2, 4, 8]);
    expect(parseSweepScales('0.2, 3.14159, 25')).toEqual([1, 3.1, 10]);
    expect(parseSweepScales('4')).toBeNull();
    expect(parseSweepScales('4, 4')).toBeNull();
    expect(parseSweepScales('1, two')).toBeNull();
    expect(parseSweepScales('1,2,3,4,5,6,7,8,9')).toBeNull();
    expect(parseSweepScales('')).toBeNull();
  });

  it('a guidance sweep: one class and seed at every scale', () => {
    const p = plan('sweep');
    expect(p.pictures).toEqual([1, 2, 4, 8].map((cfgScale) => ({ classId: 291, seed: 7, cfgScale })));
    expect(p.labels).toEqual(['guidance 1', 'guidance 2', 'guidance 4', 'guidance 8']);
  });

  it('a seed grid: consecutive seeds of one class, wrapping past the largest seed', () => {
    const p = plan('grid', params, { ...DEFAULT_EXPLORE, gridSize: 9 });
    expect(p.pictures.map((x) => x.seed)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(new Set(p.pictures.map((x) => `${x.classId}/${x.cfgScale}`))).toEqual(new Set(['291/4']));
    expect(p.labels[0]).toBe('seed 7');
    expect(gridSeeds(SEED_MAX - 1, 4)).toEqual([SEED_MAX - 1, SEED_MAX, 0, 1]);
  });

  it('a blend strip: the weight from 0 to 1 in k steps; it needs a second class', () => {
    expect(batchPlan('strip', params, DEFAULT_EXPLORE)).toMatch(/second class/);
    const p = plan('strip', { ...params, blend: { classId: 292, weight: 0.3 } }, { ...DEFAULT_EXPLORE, stripCount: 5 });
    expect(p.pictures.map((x) => x.blend)).toEqual([0, 0.25, 0.5, 0.75, 1].map((weight) => ({ classId: 292, weight })));
    expect(p.pictures.every((x) => x.classId === 291 && x.seed === 7 && x.cfgScale === 4)).toBe(true);
    expect(p.labels).toEqual(['w 0.00', 'w 0.25', 'w 0.50', 'w 0.75', 'w 1.00']);
  });

  it('a sweep and a grid keep the blend of the settings', () => {
    const blend = { classId: 292, weight: 0.5 };
    expect(plan('sweep', { ...params, blend }).pictures.every((x) => x.blend === blend)).toBe(true);
    expect(plan('grid', { ...params, blend }).pictures.every((x) => x.blend === blend)).toBe(true);
  });
});

describe('the current cell follows the settings', () => {
  const s = { cfgScale: 4, seed: 7, blendWeight: 0.5 };

  it('sweep: the nearest scale (the first of two equally near)', () => {
    const p = plan('sweep');
    expect(nearestIndex([1, 2, 4, 8], 2.9)).toBe(1);
    expect(nearestIndex([1, 2, 4, 8], 3)).toBe(1);
    expect(nearestIndex([1, 2, 4, 8], 3.1)).toBe(2);
    expect([1, 1.4, 1.6, 4, 5.9, 6.1, 10].map((cfgScale) => selectedCell(p, { ...s, cfgScale }))).toEqual([0, 0, 1, 2, 2, 3, 3]);
  });

  it('grid: the cell with the seed in the seed field, else the first', () => {
    const p = plan('grid');
    expect(selectedCell(p, { ...s, seed: 9 })).toBe(2);
    expect(selectedCell(p, { ...s, seed: 1000 })).toBe(0);
  });

  it('strip: the nearest blend weight', () => {
    const p = plan('strip', { ...params, blend: { classId: 292, weight: 0.5 } });
    expect(selectedCell(p, { ...s, blendWeight: 0.6 })).toBe(2);
    expect(selectedCell(p, { ...s, blendWeight: 0.9 })).toBe(4);
  });

  it('clicking a cell sets what differs: the guidance, the seed, the weight', () => {
    expect(cellSettings(plan('sweep'), 3)).toEqual({ cfgScale: 8 });
    expect(cellSettings(plan('grid'), 2)).toEqual({ seed: 9 });
    expect(cellSettings(plan('strip', { ...params, blend: { classId: 292, weight: 0 } }), 1)).toEqual({ blendWeight: 0.25 });
    expect(cellSettings(plan('grid'), 99)).toEqual({});
  });
});

describe('a finished sweep and the guidance slider', () => {
  const frame = { width: 2, height: 2, rgba: new Uint8ClampedArray(16) };
  const views = { x0: frame, xt: frame, eps: frame };
  function finishedSweep(): RunState {
    const sweep = plan('sweep');
    let r = reduceRun(INITIAL_RUN, { type: 'generate', load: false, params, batch: sweep });
    for (let k = 1; k <= 6; k++) r = reduceRun(r, { type: 'step', run: 1, batch: true, step: k, total: 6, views: sweep.pictures.map(() => views), stepsPerSecond: 1 });
    const images = sweep.pictures.map((_, i) => ({ width: 2, height: 2, rgba: new Uint8ClampedArray(16).fill(i) }));
    const batch: BatchParams = { pictures: sweep.pictures, steps: 6, sampler: 'ddim' };
    return reduceRun(r, { type: 'finished', run: 1, batch: { images, params: batch, modelId: 'builtin', elapsedMs: 5 }, params, model: { kind: 'builtin' }, modelName: 'm' });
  }
  const engine = { status: 'ready' as const, error: null, adapter: null };

  it('keeps every step of every picture, and the images', () => {
    const r = finishedSweep();
    expect(r.status).toBe('done');
    expect(r.batch?.frames.map((f) => f.length)).toEqual([6, 6, 6, 6]);
    expect(r.batch?.images).toHaveLength(4);
    expect(r.frames).toEqual([]);
  });

  it('shows the nearest computed scale at once: the current picture is that cell, with its parameters', () => {
    const r = finishedSweep();
    for (const [cfg, cell] of [[4, 2], [1.3, 0], [7, 3]] as const) {
      const pic = currentPicture(r, { cfgScale: cfg, seed: 7, blendWeight: 0.5 });
      expect(pic.cell).toBe(cell);
      expect(pic.image?.rgba[0]).toBe(cell);
      expect(pic.result?.params).toEqual({ ...params, cfgScale: [1, 2, 4, 8][cell] });
    }
  });

  it('releasing the slider on a scale the sweep made computes nothing; on another scale, one picture as before', () => {
    const r = finishedSweep();
    const at = (cfgScale: number) => shouldRegenerateOnRelease({ run: r, settings: { cfgScale }, engine });
    expect([at(1), at(2), at(4), at(8)]).toEqual([false, false, false, false]);
    expect([at(3), at(4.1), at(10)]).toEqual([true, true, true]);
  });
});

describe('stored views stay small', () => {
  it('256 px at most, less for long batched runs', () => {
    expect(frameSide(1, 50)).toBe(256);
    expect(frameSide(1, 250)).toBeLessThan(256);
    const side = frameSide(9, 1000);
    expect(side).toBeGreaterThanOrEqual(16);
    expect(9 * 1000 * 3 * 4 * side * side).toBeLessThanOrEqual(96 * 2 ** 20);
  });
});

describe('picture links', () => {
  const base = 'https://example.org/studio/';
  const search = (link: string | null) => new URL(link!).search;

  it('round-trips a built-in picture with a blend through the link and the store', () => {
    const p: GenerateParams = { classId: 291, cfgScale: 3.5, steps: 12, sampler: 'dpm++', seed: 4_000_000_000, blend: { classId: 292, weight: 0.125 } };
    const link = pictureLink(base, { model: { kind: 'builtin' }, params: p, size: 32 });
    expect(link).toMatch(/^https:\/\/example\.org\/studio\/\?model=builtin&class=291&blend=292&w=0\.125&seed=4000000000&cfg=3\.5&steps=12&sampler=dpm%2B%2B$/);
    const restored = settingsFromLink(search(link))!;
    expect(restored.urlModel).toBeNull();
    const store = createStudioStore(memoryStorage());
    store.getState().selectModel('dit-256');
    store.getState().setExplore({ mode: 'grid' });
    store.getState().applyLink(restored);
    const s = store.getState();
    expect(paramsFromSettings(s.settings)).toEqual(p);
    expect(s.settings.model).toBe('builtin');
    expect(s.explore.mode).toBe('single');
  });

  it('round-trips a Hub picture: repo, revision, hub, size, precision', () => {
    const p: GenerateParams = { classId: 207, cfgScale: 4, steps: 250, sampler: 'ddpm', seed: 0 };
    const model = { kind: 'hub' as const, hubUrl: 'http://127.0.0.1:9/hub', repo: 'me/DiT-custom', revision: 'refs/pr/1' };
    const link = pictureLink(base, { model, params: p, size: 512, precision: 'f16' });
    const restored = settingsFromLink(search(link))!;
    expect(restored.urlModel).toEqual({ hubUrl: model.hubUrl, repo: model.repo, revision: model.revision });
    expect(restored.settings).toMatchObject({ ...p, size: 512, precision: 'f16', blendClassId: null });
    expect(restored.settings.model).toBeUndefined(); // the Hub model comes from the address, as ?repo= always did
    // Without a hub, huggingface.co; f32 is the default precision.
    const plain = pictureLink(base, { model: { ...model, hubUrl: 'https://huggingface.co' }, params: p, precision: 'f32' });
    expect(plain).not.toMatch(/hub=|dtype=/);
    expect(settingsFromLink(search(plain))!.settings.precision).toBe('f32');
  });

  it('has no link for local files', () => {
    expect(pictureLink(base, { model: { kind: 'files', name: 'x' }, params })).toBeNull();
  });

  it('is not a picture link without a class', () => {
    expect(settingsFromLink('')).toBeNull();
    expect(settingsFromLink('?repo=facebook/DiT-XL-2-256')).toBeNull();
    expect(settingsFromLink('?seed=5&cfg=2')).toBeNull();
  });

  it('parses bad values defensively: each falls back to its default (or is clamped), nothing throws', () => {
    const d = DEFAULT_SETTINGS;
    const bad = settingsFromLink('?class=abc&cfg=NaN&steps=-3&sampler=evil&seed=-1&blend=5000&w=2&size=999&dtype=f64')!;
    expect(bad.settings).toMatchObject({ classId: d.classId, cfgScale: d.cfgScale, steps: 1, sampler: d.sampler, seed: 0, blendClassId: null, blendWeight: d.blendWeight, model: 'builtin' });
    expect(bad.settings.size).toBeUndefined();
    expect(settingsFromLink('?class=&cfg=&seed=')!.settings).toMatchObject({ classId: d.classId, cfgScale: d.cfgScale, seed: d.seed });
    expect(settingsFromLink('?class=1e3&cfg=1e9&steps=99999&seed=1e20')!.settings).toMatchObject({ classId: d.classId, cfgScale: 10, steps: 1000, seed: SEED_MAX });
    expect(settingsFromLink('?class=291&blend=292&w=-1')!.settings).toMatchObject({ blendClassId: 292, blendWeight: 0 });
    for (const junk of ['?class=%E0%A4%A&seed=%', '?class=1&class=2&w=0x10&blend=292', '?class=<script>&repo=&hub=', '?class=1.5&steps=2.7', `?class=${'9'.repeat(5000)}`]) {
      expect(() => settingsFromLink(junk), junk).not.toThrow();
      const s = settingsFromLink(junk)!.settings;
      expect(Number.isInteger(s.classId) && s.classId! >= 0 && s.classId! < 1000, junk).toBe(true);
      expect(s.steps! >= 1 && s.steps! <= 1000 && Number.isInteger(s.steps), junk).toBe(true);
    }
    // Restoring bad input through the store leaves valid settings.
    const store = createStudioStore(memoryStorage());
    store.getState().applyLink(bad);
    expect(paramsFromSettings(store.getState().settings)).toEqual({ classId: d.classId, cfgScale: d.cfgScale, steps: 1, sampler: d.sampler, seed: 0 });
  });

  it('the PNG carries the same link in a dit:link text chunk', async () => {
    const p: GenerateParams = { ...params, blend: { classId: 292, weight: 0.5 } };
    const run = { params: p, model: { kind: 'builtin' as const }, modelId: 'builtin', modelName: 'Built-in', elapsedMs: 1 };
    const image = { width: 32, height: 32, rgba: new Uint8ClampedArray(32 * 32 * 4) };
    const link = linkFor(image, run, base);
    const text = pngTextFor(run, link);
    expect(text[PNG_LINK_KEY]).toBe(link);
    expect(text).toMatchObject({ blend_class_id: '292', blend_weight: '0.5', class_id: '291' });
    const { encodePng } = await import('../../../src/app/png');
    const png = await encodePng(image, text);
    expect(readPngText(png)[PNG_LINK_KEY]).toBe(link);
    expect(settingsFromLink(search(readPngText(png)[PNG_LINK_KEY]))!.settings).toMatchObject({ classId: 291, seed: 7, blendClassId: 292, blendWeight: 0.5 });
  });
});

describe('batched runs through the controller (fake engine)', () => {
  let studio: Studio | null = null;
  afterEach(() => {
    studio?.controller.dispose();
    studio = null;
  });

  function setup(stepDelayMs = 2) {
    const engines: FakeEngine[] = [];
    studio = createStudio({
      createEngine: () => {
        const e = createFakeEngine({ stepDelayMs, knownClasses: [207, 291, 292] });
        engines.push(e);
        return e;
      },
      store: createStudioStore(memoryStorage()),
      gallery: createMemoryGallery(),
    });
    const s = () => studio!.store.getState();
    const calls = (method: string) => engines.flatMap((e) => e.calls.filter((c) => c.method === method));
    return { ...studio, s, engines, calls };
  }

  it('a guidance sweep is one batched run; its cells animate every step; it does not fill the gallery', async () => {
    const { controller, s, calls } = setup();
    await controller.start();
    s().setClassId(291);
    s().setSeed(5);
    s().setSteps(4);
    s().setExplore({ mode: 'sweep' });
    await controller.generate();
    expect(calls('generate')).toHaveLength(0);
    const [batch] = calls('generateBatch').map((c) => c.arg as BatchParams);
    expect(batch).toEqual({ steps: 4, sampler: 'ddim', pictures: [1, 2, 4, 8].map((cfgScale) => ({ classId: 291, seed: 5, cfgScale })) });
    const run = s().run;
    expect([run.status, run.step, run.total]).toEqual(['done', 4, 4]);
    expect(run.batch?.frames.map((f) => f.length)).toEqual([4, 4, 4, 4]);
    // Each cell's steps differ from each other (the cells animate), and the cells differ from each other.
    const first = run.batch!.frames[0];
    expect(first[0].x0.rgba).not.toEqual(first[3].x0.rgba);
    expect(run.batch!.images![0].rgba).not.toEqual(run.batch!.images![3].rgba);
    expect(run.notice).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    expect(s().gallery).toHaveLength(0);

    // The slider flips through the sweep without a run; releasing on a new scale makes one picture.
    s().setCfgScale(7);
    expect(currentPicture(s().run, s().settings).cell).toBe(3);
    s().setCfgScale(2);
    controller.guidanceReleased();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls('generate')).toHaveLength(0);
    s().setCfgScale(3);
    controller.guidanceReleased();
    await until(() => s().run.status === 'done' && s().run.batch === null);
    expect(calls('generate').map((c) => c.arg)).toEqual([{ classId: 291, seed: 5, cfgScale: 3, steps: 4, sampler: 'ddim' }]);
    expect(calls('generateBatch')).toHaveLength(1);
  });

  it('a seed grid: clicking a cell makes it the current picture and puts its seed in the seed field', async () => {
    const { controller, s, calls } = setup();
    await controller.start();
    s().setSeed(100);
    s().setSteps(3);
    s().setExplore({ mode: 'grid', gridSize: 9 });
    await controller.generate();
    expect((calls('generateBatch')[0].arg as BatchParams).pictures.map((p) => p.seed)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108]);
    expect(currentPicture(s().run, s().settings).cell).toBe(0);
    s().pickBatchCell(6);
    expect(s().settings.seed).toBe(106);
    const pic = currentPicture(s().run, s().settings);
    expect(pic.cell).toBe(6);
    expect(pic.image).toBe(s().run.batch!.images![6]);
    expect(pic.result?.params.seed).toBe(106);
  });

  it('a blend strip needs a second class (a settings error, the engine stays); with one, weights 0 … 1', async () => {
    const { controller, s, calls, engines } = setup();
    await controller.start();
    s().setClassId(291);
    s().setSteps(2);
    s().setExplore({ mode: 'strip', stripCount: 3 });
    await controller.generate();
    expect(s().run.error).toMatch(/second class/);
    expect(calls('generateBatch')).toHaveLength(0);
    s().clearError();
    s().setBlendClassId(292);
    await controller.generate();
    expect(engines).toHaveLength(1);
    expect((calls('generateBatch')[0].arg as BatchParams).pictures.map((p) => p.blend)).toEqual([0, 0.5, 1].map((weight) => ({ classId: 292, weight })));
    s().pickBatchCell(2);
    expect(s().settings.blendWeight).toBe(1);
  });

  it('a single picture in the gallery carries its link in the thumbnail PNG; restoring it restores the blend', async () => {
    const { controller, s } = setup();
    await controller.start();
    s().setClassId(291);
    s().setBlendClassId(292);
    s().setBlendWeight(0.75);
    s().setSeed(12);
    s().setSteps(2);
    await controller.generate();
    await until(() => s().gallery.length === 1);
    const item = s().gallery[0];
    const png = Uint8Array.from(atob(item.thumbnail.split(',')[1]), (c) => c.charCodeAt(0));
    const link = readPngText(png)[PNG_LINK_KEY];
    expect(settingsFromLink(new URL(link).search)!.settings).toMatchObject({ classId: 291, blendClassId: 292, blendWeight: 0.75, seed: 12, steps: 2 });
    s().setBlendClassId(null);
    s().restoreFromGallery(item);
    expect(paramsFromSettings(s().settings)).toEqual(item.params);
    // An item without a blend turns the blend off.
    s().restoreFromGallery({ ...item, params: { ...item.params, blend: undefined } });
    expect(s().settings.blendClassId).toBeNull();
  });

  it('the single Generate uses the blend; a second class the model lacks is a clear error', async () => {
    const { controller, s, calls } = setup();
    await controller.start();
    s().setClassId(291);
    s().setBlendClassId(292);
    s().setBlendWeight(0.3);
    s().setSteps(2);
    await controller.generate();
    expect(calls('generate')[0].arg).toMatchObject({ classId: 291, blend: { classId: 292, weight: 0.3 } });
    s().setBlendClassId(1); // not one of the fake built-in model's classes
    await controller.generate();
    expect(s().run.error).toMatch(/blend’s second class.*class 1\b/);
    s().setBlendClassId(null);
    await controller.generate();
    expect(calls('generate')[1].arg).not.toHaveProperty('blend');
  });

  it('Cancel stops a batched run', async () => {
    const { controller, s, calls } = setup(10);
    await controller.start();
    s().setSteps(50);
    s().setExplore({ mode: 'grid' });
    const done = controller.generate();
    await until(() => s().run.step >= 2);
    controller.cancel();
    await done;
    expect([s().run.status, s().run.notice]).toEqual(['idle', 'Cancelled.']);
    expect(calls('cancel').length).toBeGreaterThan(0);
    const stopped = s().run.batch!.frames[0].length;
    expect(stopped).toBeLessThan(50);
    await new Promise((r) => setTimeout(r, 60));
    expect(s().run.batch!.frames[0].length).toBe(stopped);
    // The next run works on the same engine.
    s().setSteps(2);
    await controller.generate('single');
    expect(s().run.status).toBe('done');
  });

  it('the view switch is explore state: x̂₀, x_t or ε; anything else is ignored', () => {
    const store = createStudioStore(memoryStorage());
    expect(store.getState().explore.view).toBe('x0');
    store.getState().setExplore({ view: 'eps' });
    expect(store.getState().explore.view).toBe('eps');
    store.getState().setExplore({ view: 'noise' as never, gridSize: 5, stripCount: 4, sweepScales: [3] });
    expect(store.getState().explore).toEqual({ ...DEFAULT_EXPLORE, view: 'eps' });
  });
});
