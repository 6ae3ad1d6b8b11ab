// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStorage } from 'zustand/middleware';
import { App } from '../../../src/app/App';
import { createStudio, type Studio } from '../../../src/app/controller';
import { createFakeEngine, type FakeEngine, type FakeEngineOptions } from '../../../src/app/fake-engine';
import { createMemoryGallery } from '../../../src/app/gallery';
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
});

async function renderStudio(opts: FakeEngineOptions = {}, engines: FakeEngine[] = []) {
  studio = createStudio({
    createEngine: () => {
      const e = createFakeEngine({ stepDelayMs: 2, knownClasses: [1, 207, 281, 282], ...opts });
      engines.push(e);
      return e;
    },
    store: createStudioStore(memoryStorage()),
    gallery: createMemoryGallery(),
  });
  const view = render(<App studio={studio} />);
  if (!opts.initError) {
    await waitFor(() => expect(studio!.store.getState().model).not.toBeNull());
  }
  return { view, studio, engines };
}

function setSteps(n: number) {
  fireEvent.change(screen.getByTestId('steps'), { target: { value: String(n) } });
}

const counter = () => screen.getByTestId('step-counter').textContent?.replace(/\s+/g, ' ').trim();

describe('DiT Studio UI (fake engine)', () => {
  it('renders every control, each test id on exactly one element', async () => {
    await renderStudio();
    for (const id of ['class-search', 'guidance-slider', 'steps', 'sampler', 'seed', 'generate', 'cancel', 'progress', 'step-preview', 'step-counter', 'step-scrubber', 'download', 'gallery']) {
      expect(screen.getAllByTestId(id), id).toHaveLength(1);
    }
    expect(screen.queryByTestId('no-webgpu')).toBeNull();
    expect(screen.queryByTestId('error')).toBeNull();
    const slider = screen.getByTestId('guidance-slider') as HTMLInputElement;
    expect(slider.type).toBe('range');
    expect([slider.min, slider.max, slider.step, slider.value]).toEqual(['1', '10', '0.1', '4']);
    expect(screen.getByTestId('step-preview').tagName).toBe('CANVAS');
    expect((screen.getByTestId('sampler') as HTMLSelectElement).value).toBe('ddim');
    expect(within(screen.getByTestId('sampler')).getAllByRole('option').map((o) => (o as HTMLOptionElement).value)).toEqual(['ddpm', 'ddim', 'dpm++']);
    // Controls are labelled.
    expect(screen.getByLabelText('Guidance scale')).toBe(slider);
    expect(screen.getByLabelText('Steps')).toBe(screen.getByTestId('steps'));
    expect(screen.getByLabelText('Seed')).toBe(screen.getByTestId('seed'));
    expect(screen.getByLabelText('Sampler')).toBe(screen.getByTestId('sampler'));
    expect(counter()).toBe('0 / 50');
  });

  it('picks a class by search (synonym), by id, and with the keyboard', async () => {
    const { studio } = await renderStudio({ knownClasses: undefined });
    studio.store.getState().selectModel('dit-256'); // all 1000 classes
    const search = screen.getByTestId('class-search');
    fireEvent.change(search, { target: { value: 'tabby' } });
    const options = await screen.findAllByTestId('class-option');
    expect(options[0].getAttribute('data-class-id')).toBe('281');
    expect(options[0].textContent).toContain('#281');
    fireEvent.click(options[0]);
    expect(studio.store.getState().settings.classId).toBe(281);
    expect(screen.queryAllByTestId('class-option')).toHaveLength(0);

    fireEvent.change(search, { target: { value: '207' } });
    expect(screen.getAllByTestId('class-option')[0].getAttribute('data-class-id')).toBe('207');
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(studio.store.getState().settings.classId).toBe(207);

    fireEvent.change(search, { target: { value: 'shark' } });
    const sharks = screen.getAllByTestId('class-option').map((o) => Number(o.getAttribute('data-class-id')));
    fireEvent.keyDown(search, { key: 'ArrowDown' });
    fireEvent.keyDown(search, { key: 'ArrowDown' });
    fireEvent.keyDown(search, { key: 'ArrowUp' });
    expect(screen.getAllByTestId('class-option')[1].getAttribute('aria-selected')).toBe('true');
    expect(search.getAttribute('aria-activedescendant')).toBe(screen.getAllByTestId('class-option')[1].id);
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(studio.store.getState().settings.classId).toBe(sharks[1]);
  });

  it('restricts the search to the classes the built-in model knows', async () => {
    const { studio } = await renderStudio({ knownClasses: [1, 207, 281] });
    const search = screen.getByTestId('class-search');
    fireEvent.change(search, { target: { value: 'cat' } });
    expect(screen.getAllByTestId('class-option').map((o) => o.getAttribute('data-class-id'))).toEqual(['281']);
    fireEvent.change(search, { target: { value: 'shark' } });
    expect(screen.queryAllByTestId('class-option')).toHaveLength(0);
    expect(screen.getByText(/built-in model does not know this class/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Random class' }));
    expect([1, 207, 281]).toContain(studio.store.getState().settings.classId);
  });

  it('generates: the step counter reaches N / N and the final image has the model size', async () => {
    const { studio } = await renderStudio();
    setSteps(8);
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(counter()).toBe('8 / 8'));
    const img = await screen.findByTestId('final-image');
    expect((img as HTMLCanvasElement).width).toBe(32);
    expect((img as HTMLCanvasElement).height).toBe(32);
    expect((screen.getByTestId('download') as HTMLButtonElement).disabled).toBe(false);
    expect((screen.getByTestId('progress') as HTMLProgressElement).value).toBe(1);
    // Scrub back to step 3: the preview canvas shows it instead of the final image.
    const scrubber = screen.getByTestId('step-scrubber') as HTMLInputElement;
    expect(scrubber.max).toBe('8');
    fireEvent.change(scrubber, { target: { value: '3' } });
    expect(studio.store.getState().run.scrubStep).toBe(3);
    expect(screen.getByTestId('final-image').hidden).toBe(true);
    expect(screen.getByTestId('step-preview').hidden).toBe(false);
    fireEvent.change(scrubber, { target: { value: '8' } });
    expect(screen.getByTestId('final-image').hidden).toBe(false);
    // Finished images land in the gallery.
    await waitFor(() => expect(screen.getByTestId('gallery').querySelectorAll('img')).toHaveLength(1));
  });

  it('cancels a run', async () => {
    const engines: FakeEngine[] = [];
    await renderStudio({ stepDelayMs: 15 }, engines);
    setSteps(200);
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(Number(counter()!.split(' / ')[0])).toBeGreaterThanOrEqual(2));
    const cancel = screen.getByTestId('cancel') as HTMLButtonElement;
    expect(cancel.disabled).toBe(false);
    fireEvent.click(cancel);
    await waitFor(() => expect(screen.getByText('Cancelled.')).toBeTruthy());
    expect(engines[0].calls.some((c) => c.method === 'cancel')).toBe(true);
    expect((screen.getByTestId('cancel') as HTMLButtonElement).disabled).toBe(true);
    expect(counter()).not.toBe('200 / 200');
    expect(screen.queryByTestId('final-image')).toBeNull();
    expect(screen.queryByTestId('error')).toBeNull();
  });

  it('shows an error, and the next Generate works', async () => {
    const engines: FakeEngine[] = [];
    await renderStudio({}, engines);
    engines[0].failNextGenerate('GPU device was lost: simulated');
    setSteps(6);
    fireEvent.click(screen.getByTestId('generate'));
    const error = await screen.findByTestId('error');
    expect(error.textContent).toContain('GPU device was lost: simulated');
    expect(error.getAttribute('role')).toBe('alert');
    // Settings survive.
    expect((screen.getByTestId('steps') as HTMLInputElement).value).toBe('6');
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(counter()).toBe('6 / 6'));
    await screen.findByTestId('final-image');
    expect(screen.queryByTestId('error')).toBeNull();
    expect(engines).toHaveLength(2); // a fresh engine replaced the failed one
  });

  it('regenerates when the guidance slider is released after an image is finished', async () => {
    const engines: FakeEngine[] = [];
    const { studio } = await renderStudio({}, engines);
    setSteps(4);
    fireEvent.change(screen.getByTestId('seed'), { target: { value: '1234' } });
    const slider = screen.getByTestId('guidance-slider');
    // Before any image: moving the slider only changes the setting.
    fireEvent.input(slider, { target: { value: '5' } });
    fireEvent.pointerUp(slider);
    expect(studio.store.getState().settings.cfgScale).toBe(5);
    expect(engines[0].calls.filter((c) => c.method === 'generate')).toHaveLength(0);

    fireEvent.click(screen.getByTestId('generate'));
    await screen.findByTestId('final-image');
    fireEvent.input(slider, { target: { value: '7.3' } });
    expect(screen.getByText('7.3')).toBeTruthy(); // the value is shown
    fireEvent.change(slider, { target: { value: '7.3' } }); // end of the drag
    fireEvent.pointerUp(slider); // also a release: must not start a second run
    await waitFor(() => expect(studio.store.getState().run.result?.params.cfgScale).toBe(7.3));
    const runs = engines[0].calls.filter((c) => c.method === 'generate').map((c) => c.arg as { cfgScale: number; seed: number; classId: number });
    expect(runs.map((r) => r.cfgScale)).toEqual([5, 7.3]);
    expect(runs[1].seed).toBe(1234);
    expect(runs[1].classId).toBe(runs[0].classId);
  });

  it('restores parameters from the gallery', async () => {
    const { studio } = await renderStudio();
    setSteps(3);
    fireEvent.change(screen.getByTestId('seed'), { target: { value: '42' } });
    fireEvent.click(screen.getByTestId('generate'));
    const restore = await screen.findByRole('button', { name: /Restore settings/ });
    fireEvent.change(screen.getByTestId('seed'), { target: { value: '7' } });
    setSteps(30);
    fireEvent.change(screen.getByTestId('sampler'), { target: { value: 'ddpm' } });
    fireEvent.click(restore);
    const s = studio.store.getState().settings;
    expect([s.seed, s.steps, s.sampler]).toEqual([42, 3, 'ddim']);
    expect((screen.getByTestId('seed') as HTMLInputElement).value).toBe('42');
  });

  it('offers f16 only when the adapter has shader-f16', async () => {
    await renderStudio({ features: [] });
    const precision = screen.getByLabelText('Precision') as HTMLSelectElement;
    expect(precision.disabled).toBe(true);
    expect(within(precision).getAllByRole('option')).toHaveLength(1);
    cleanup();
    studio?.controller.dispose();
    await renderStudio({ features: ['shader-f16'] });
    expect(within(screen.getByLabelText('Precision')).getAllByRole('option').map((o) => (o as HTMLOptionElement).value)).toEqual(['f32', 'f16']);
  });

  it('shows the no-WebGPU panel when init fails', async () => {
    await renderStudio({ initError: 'navigator.gpu is missing' });
    const panel = await screen.findByTestId('no-webgpu');
    expect(panel.textContent).toContain('navigator.gpu is missing');
    expect(panel.textContent).toContain('chrome://flags/#enable-unsafe-webgpu');
    expect(screen.queryByTestId('generate')).toBeNull();
    expect(screen.getByTestId('gallery')).toBeTruthy(); // past results stay reachable
  });

  it('shows the Hub download progress and license for a Hub model', async () => {
    const { studio } = await renderStudio({ fileDelayMs: 40 });
    act(() => studio.store.getState().selectModel('dit-256'));
    expect(screen.getByText(/CC-BY-NC 4.0/, { selector: 'a' })).toBeTruthy();
    setSteps(2);
    fireEvent.click(screen.getByTestId('generate'));
    await screen.findByText('transformer/diffusion_pytorch_model.safetensors', { selector: 'code' });
    expect(screen.getByText(/ETA/)).toBeTruthy();
    await waitFor(() => expect(counter()).toBe('2 / 2'), { timeout: 5000 });
    expect((screen.getByTestId('final-image') as HTMLCanvasElement).width).toBe(256);
  });

  it("shows the weight loader's notices in the model panel", async () => {
    const damaged = 'the cached copy of facebook/DiT-XL-2-256/transformer/diffusion_pytorch_model.safetensors was deleted and is downloaded again: it does not open';
    const engines: FakeEngine[] = [];
    const { studio } = await renderStudio({ fileDelayMs: 5 }, engines);
    act(() => studio.store.getState().selectModel('dit-256'));
    expect(screen.queryByTestId('weights-notice')).toBeNull();
    engines[0].noticeNextLoad(damaged);
    fireEvent.click(screen.getByRole('button', { name: 'Download now' }));
    const notice = await screen.findByTestId('weights-notice');
    expect(notice.textContent).toBe(damaged);
    expect(notice.getAttribute('role')).toBe('status');
    await waitFor(() => expect(studio.store.getState().model?.imageSize).toBe(256), { timeout: 5000 });
    expect(screen.getByTestId('weights-notice').textContent).toBe(damaged);
  });

  it('a Hub model with 10 classes: a clear error for class 207, the same engine after it, then only its classes', async () => {
    const engines: FakeEngine[] = [];
    const { studio } = await renderStudio({ fileDelayMs: 5, numClasses: 10 }, engines);
    act(() => studio.store.getState().setHub({ hubUrl: 'http://hub.test', hubRepo: 'org/tiny', hubRevision: 'main' }));
    // Not DiT-XL/2: its license is the repository's, not DiT-XL/2's.
    expect(screen.getByRole('link', { name: 'see the model card of org/tiny' }).getAttribute('href')).toBe('http://hub.test/org/tiny');
    expect(screen.queryByText(/weights by Meta/)).toBeNull();
    setSteps(2);
    // Before the download the model's classes are unknown: every ImageNet class is offered.
    const search = screen.getByTestId('class-search');
    fireEvent.change(search, { target: { value: 'golden retriever' } });
    expect(screen.getAllByTestId('class-option')[0].getAttribute('data-class-id')).toBe('207');
    fireEvent.keyDown(search, { key: 'Enter' });
    fireEvent.click(screen.getByTestId('generate'));
    const error = await screen.findByTestId('error');
    expect(error.textContent).toMatch(/This model has 10 classes \(ids 0–9\); class 207 \(golden retriever\) is not one of them/);
    expect(error.textContent).toContain('Choose one of the classes this model knows');
    // The picker now knows the model: only ids 0..9, a note on the class chosen, a hint on a search.
    expect(screen.getByText(/this model: 10 classes \(ids 0–9\)/)).toBeTruthy();
    expect(screen.getByText('This model has 10 classes (ids 0–9): pick one of them.')).toBeTruthy();
    fireEvent.change(search, { target: { value: 'golden retriever' } });
    expect(screen.queryAllByTestId('class-option')).toHaveLength(0);
    expect(screen.getByText(/this class is not one of them/)).toBeTruthy();
    fireEvent.change(search, { target: { value: '' } });
    fireEvent.focus(search);
    expect(screen.getAllByTestId('class-option').map((o) => Number(o.getAttribute('data-class-id')))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    fireEvent.click(screen.getAllByTestId('class-option')[3]);
    expect(studio.store.getState().settings.classId).toBe(3);
    // A settings error is not an engine failure: the next run uses the same engine and model.
    fireEvent.click(screen.getByTestId('generate'));
    await waitFor(() => expect(counter()).toBe('2 / 2'), { timeout: 5000 });
    expect(screen.queryByTestId('error')).toBeNull();
    expect(engines).toHaveLength(1);
    expect(engines[0].calls.filter((c) => c.method === 'load' && (c.arg as { kind: string }).kind === 'hub')).toHaveLength(1);
  });
});
