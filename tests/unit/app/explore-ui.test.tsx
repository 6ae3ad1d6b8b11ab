// @vitest-environment happy-dom
/**
 * Exploring the model through the UI (fake engine): the mode switch, the batch cells and their
 * labels, the guidance slider over a sweep, clicking a grid cell, the x̂₀ / x_t / ε switch, the
 * class blend controls, Share, and a picture link in the address.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import type { BatchParams, GenerateParams } from '../../../src/engine/api';
import { App } from '../../../src/app/App';
import { createStudio, type Studio } from '../../../src/app/controller';
import { createFakeEngine, type FakeEngine } from '../../../src/app/fake-engine';
import { createMemoryGallery } from '../../../src/app/gallery';
import { settingsFromLink } from '../../../src/app/state/link';
import { DEFAULT_SETTINGS } from '../../../src/app/state/settings';
import { createStudioStore } from '../../../src/app/store';

function memoryStorage(): StateStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

let studio: Studio | null = null;
afterEach(() => {
  cleanup();
  studio?.controller.dispose();
  studio = null;
  window.history.replaceState(null, '', '/');
});

async function renderStudio() {
  const engines: FakeEngine[] = [];
  studio = createStudio({
    createEngine: () => {
      const e = createFakeEngine({ stepDelayMs: 2, knownClasses: [207, 291, 292] });
      engines.push(e);
      return e;
    },
    store: createStudioStore(memoryStorage()),
    gallery: createMemoryGallery(),
  });
  render(<App studio={studio} />);
  await waitFor(() => expect(studio!.store.getState().model).not.toBeNull());
  const calls = (method: string) => engines.flatMap((e) => e.calls.filter((c) => c.method === method).map((c) => c.arg));
  return { studio, calls, s: () => studio!.store.getState() };
}

/** Runs take longer than waitFor's default second on a busy machine. */
const LONG = { timeout: 10_000 };

const counter = () => screen.getByTestId('step-counter').textContent?.replace(/\s+/g, ' ').trim();
const cellLabels = () => screen.getAllByTestId(/^batch-cell-\d+$/).map((c) => c.querySelector('.cell-label')?.textContent);
const pressed = () => screen.getAllByTestId(/^batch-cell-\d+$/).map((c) => c.getAttribute('aria-pressed') === 'true');

function setSteps(n: number) {
  fireEvent.change(screen.getByTestId('steps'), { target: { value: String(n) } });
}

describe('explore the model (UI, fake engine)', () => {
  it('every new control is labelled and has its own test id', async () => {
    await renderStudio();
    for (const id of ['mode-single', 'mode-sweep', 'mode-grid', 'mode-strip', 'view-x0', 'view-xt', 'view-eps', 'share', 'blend-class-search', 'blend-clear', 'blend-weight']) {
      expect(screen.getAllByTestId(id), id).toHaveLength(1);
    }
    expect(screen.getByLabelText('Guidance sweep')).toBe(screen.getByTestId('mode-sweep'));
    expect(screen.getByLabelText('Seed grid')).toBe(screen.getByTestId('mode-grid'));
    expect(screen.getByLabelText('Blend strip')).toBe(screen.getByTestId('mode-strip'));
    expect(screen.getByLabelText('Mix w')).toBe(screen.getByTestId('blend-weight'));
    expect(screen.getByLabelText('Blend with')).toBe(screen.getByTestId('blend-class-search'));
    expect(screen.getByLabelText(/^ε: /)).toBe(screen.getByTestId('view-eps'));
    expect((screen.getByTestId('mode-single') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByTestId('view-x0') as HTMLInputElement).checked).toBe(true);
    // Nothing to share before a picture; no blend, so no weight.
    expect((screen.getByTestId('share') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('blend-weight') as HTMLInputElement).disabled).toBe(true);
    // Each mode shows its own options.
    fireEvent.click(screen.getByTestId('mode-sweep'));
    expect((screen.getByTestId('sweep-scales') as HTMLInputElement).value).toBe('1, 2, 4, 8');
    fireEvent.click(screen.getByTestId('mode-grid'));
    expect(screen.getByLabelText('Seeds')).toBe(screen.getByTestId('grid-size'));
    expect(screen.queryByTestId('sweep-scales')).toBeNull();
    fireEvent.click(screen.getByTestId('mode-strip'));
    expect(screen.getByTestId('strip-count')).toBeTruthy();
    expect(screen.getByText(/Pick a second class/)).toBeTruthy();
  });

  it('a guidance sweep shows its cells side by side; the slider then flips through them without a run', async () => {
    const { s, calls } = await renderStudio();
    setSteps(4);
    fireEvent.click(screen.getByTestId('mode-sweep'));
    fireEvent.change(screen.getByTestId('sweep-scales'), { target: { value: '1, 3, 6' } });
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(s().run.status).toBe('done'), LONG);
    expect(counter()).toBe('4 / 4');
    expect(cellLabels()).toEqual(['guidance 1', 'guidance 3', 'guidance 6']);
    expect((calls('generateBatch')[0] as BatchParams).pictures.map((p) => p.cfgScale)).toEqual([1, 3, 6]);
    expect(screen.getByText(/^3 pictures done in /)).toBeTruthy();
    // The default guidance (4) is nearest 3.
    expect(pressed()).toEqual([false, true, false]);
    expect(screen.getByTestId('caption').textContent).toContain('guidance 3.0');
    // Dragging: the nearest scale at once.
    const slider = screen.getByTestId('guidance-slider');
    fireEvent.input(slider, { target: { value: '5.9' } });
    expect(pressed()).toEqual([false, false, true]);
    expect(screen.getByTestId('caption').textContent).toContain('guidance 6.0');
    // Releasing on a scale the sweep made: nothing runs.
    fireEvent.input(slider, { target: { value: '1' } });
    fireEvent.pointerUp(slider);
    expect(pressed()).toEqual([true, false, false]);
    await new Promise((r) => setTimeout(r, 30));
    expect(calls('generate')).toHaveLength(0);
    // Releasing on a new value makes that one picture.
    fireEvent.input(slider, { target: { value: '2.5' } });
    fireEvent.pointerUp(slider);
    await waitFor(() => expect(s().run.result?.params.cfgScale).toBe(2.5), LONG);
    expect(calls('generate')).toHaveLength(1);
    expect(screen.queryByTestId('batch-cells')).toBeNull();
  });

  it('a seed grid: clicking a cell makes it the current picture and fills the seed field', async () => {
    const { s } = await renderStudio();
    setSteps(3);
    fireEvent.change(screen.getByTestId('seed'), { target: { value: '20' } });
    fireEvent.click(screen.getByTestId('mode-grid'));
    fireEvent.change(screen.getByTestId('grid-size'), { target: { value: '9' } });
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(s().run.status).toBe('done'), LONG);
    expect(cellLabels()).toEqual(['seed 20', 'seed 21', 'seed 22', 'seed 23', 'seed 24', 'seed 25', 'seed 26', 'seed 27', 'seed 28']);
    expect(pressed()[0]).toBe(true);
    fireEvent.click(screen.getByTestId('batch-cell-7'));
    expect((screen.getByTestId('seed') as HTMLInputElement).value).toBe('27');
    expect(pressed().indexOf(true)).toBe(7);
    expect(screen.getByTestId('caption').textContent).toContain('seed 27');
    expect(screen.getByTestId('final-image').hidden).toBe(false);
  });

  it('the x̂₀ / x_t / ε switch: every step in every view; ε has no final image', async () => {
    const { s } = await renderStudio();
    setSteps(5);
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(s().run.status).toBe('done'), LONG);
    expect(s().run.frames).toHaveLength(5);
    expect(s().run.frames.every((v) => v.x0 && v.xt && v.eps)).toBe(true);
    const preview = () => screen.getByTestId('step-preview');
    expect(screen.getByTestId('final-image').hidden).toBe(false);
    fireEvent.click(screen.getByTestId('view-eps'));
    expect(s().explore.view).toBe('eps');
    expect((screen.getByTestId('view-eps') as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId('final-image').hidden).toBe(true);
    expect(preview().getAttribute('aria-label')).toBe('Denoising preview (ε), step 5');
    fireEvent.change(screen.getByTestId('step-scrubber'), { target: { value: '2' } });
    expect(preview().getAttribute('aria-label')).toBe('Denoising preview (ε), step 2');
    fireEvent.click(screen.getByTestId('view-xt'));
    expect(preview().getAttribute('aria-label')).toBe('Denoising preview (x_t), step 2');
    fireEvent.change(screen.getByTestId('step-scrubber'), { target: { value: '5' } });
    expect(screen.getByTestId('final-image').hidden).toBe(false); // x_t ends at the final image
    fireEvent.click(screen.getByTestId('view-x0'));
    expect(screen.getByTestId('final-image').hidden).toBe(false);
  });

  it('a class blend: the controls set params.blend; a blend strip labels each weight', async () => {
    const { s, calls } = await renderStudio();
    setSteps(2);
    fireEvent.change(screen.getByTestId('blend-class-search'), { target: { value: 'tiger' } });
    fireEvent.click(screen.getAllByTestId('blend-class-option').find((o) => o.getAttribute('data-class-id') === '292')!);
    expect(s().settings.blendClassId).toBe(292);
    expect(screen.getByTestId('blend-current').textContent).toMatch(/tiger/i);
    const weight = screen.getByTestId('blend-weight') as HTMLInputElement;
    expect(weight.disabled).toBe(false);
    fireEvent.change(weight, { target: { value: '0.25' } });
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(s().run.status).toBe('done'), LONG);
    expect((calls('generate')[0] as GenerateParams).blend).toEqual({ classId: 292, weight: 0.25 });
    fireEvent.click(screen.getByTestId('mode-strip'));
    fireEvent.change(screen.getByTestId('strip-count'), { target: { value: '3' } });
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(s().run.batch?.images).toHaveLength(3), LONG);
    expect(cellLabels()).toEqual(['w 0.00', 'w 0.50', 'w 1.00']);
    expect(pressed()).toEqual([true, false, false]); // 0.25 is nearest 0 (the first of two)
    fireEvent.click(screen.getByTestId('batch-cell-2'));
    expect(weight.value).toBe('1');
    fireEvent.click(screen.getByTestId('blend-clear'));
    expect(s().settings.blendClassId).toBeNull();
    expect(weight.disabled).toBe(true);
  });

  it('Share shows a link to the current picture, which restores it', async () => {
    const { s } = await renderStudio();
    setSteps(3);
    fireEvent.change(screen.getByTestId('seed'), { target: { value: '31' } });
    fireEvent.click(screen.getByTestId('mode-grid'));
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(s().run.status).toBe('done'), LONG);
    fireEvent.click(screen.getByTestId('batch-cell-2'));
    fireEvent.click(screen.getByTestId('share'));
    const link = (await screen.findByTestId('share-link')) as HTMLInputElement;
    const restored = settingsFromLink(new URL(link.value).search)!;
    expect(restored.settings).toMatchObject({ seed: 33, steps: 3, cfgScale: 4, sampler: 'ddim', model: 'builtin', classId: s().settings.classId });
  });

  it('a picture link in the address restores its settings, a single picture', async () => {
    window.history.replaceState(null, '', '/?model=builtin&class=291&blend=292&w=0.75&seed=77&cfg=6.5&steps=9&sampler=dpm%2B%2B');
    const { s } = await renderStudio();
    expect(s().settings).toMatchObject({ classId: 291, blendClassId: 292, blendWeight: 0.75, seed: 77, cfgScale: 6.5, steps: 9, sampler: 'dpm++' });
    expect((screen.getByTestId('seed') as HTMLInputElement).value).toBe('77');
    expect((screen.getByTestId('mode-single') as HTMLInputElement).checked).toBe(true);
  });

  it('a bad link in the address is ignored with defaults, never a crash', async () => {
    window.history.replaceState(null, '', '/?class=%E0%A4%A&seed=x&cfg=-5&steps=abc&sampler=<b>&w=nope');
    const { s } = await renderStudio();
    expect(s().settings).toMatchObject({ classId: DEFAULT_SETTINGS.classId, seed: 0, cfgScale: 1, steps: 50, sampler: 'ddim', blendClassId: null });
    expect(screen.getByTestId('generate')).toBeTruthy();
  });
});
