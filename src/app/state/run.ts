/**
 * The current run as the UI shows it: the run machine's state (../run-machine.ts) and what the run
 * has produced so far (download progress, every step's views for the scrubber, the final image).
 * {@link reduceRun} is the only way it changes: it asks the machine first, and an event the machine
 * rejects leaves the run untouched.
 *
 * A batched run (a guidance sweep, a seed grid, a blend strip) goes through the same machine with
 * the same events; its steps and images are kept per picture in `batch`.
 */
import type { BatchResult, BatchStepUpdate, Frame, GenerateParams, GenerateResult, LoadProgress, StepUpdate, StepViews } from '../../engine/api';
import { downscaleFrame, type ModelRef } from '../gallery';
import { INITIAL_RUN_MACHINE, runStatus, transition, type EngineState, type RunMachine, type RunStatus } from '../run-machine';
import { sweepHasScale, type BatchPlan } from './explore';
import type { Precision } from './settings';

export interface FinishedRun {
  /** The picture's parameters (for a batch: those of the settings it was planned from). */
  params: GenerateParams;
  model: ModelRef;
  modelId: string;
  modelName: string;
  elapsedMs: number;
  /** The weights' precision (f32 unless an f16 Hub model made it). */
  precision?: Precision;
}

/** The pictures of a batched run and what each has produced. */
export interface BatchRun {
  plan: BatchPlan;
  /** [picture][step]: every step's views of each picture (downscaled, see {@link frameSide}). */
  frames: StepViews[][];
  /** The final images, once the run is finished. */
  images: Frame[] | null;
}

export interface RunState {
  /** The run lifecycle; `status` is the UI's view of its phase. */
  machine: RunMachine;
  status: RunStatus;
  /** The visible error of the last run (cleared when the next one starts). */
  error: string | null;
  /** A short note such as "Cancelled." */
  notice: string | null;
  loadProgress: LoadProgress | null;
  /** Parameters of the run in progress (while loading/running), else of the last one started. */
  activeParams: GenerateParams | null;
  step: number;
  total: number;
  stepsPerSecond: number;
  /** 0..1 for the whole run (downloading counts as the first part when there is one). */
  progress: number;
  /** Every step's views (x̂₀, x_t, ε; downscaled, see {@link frameSide}) for the scrubber. */
  frames: StepViews[];
  /** The step shown by the scrubber, 1-based; null follows the run (the last step / final image). */
  scrubStep: number | null;
  /** The last finished image of this session, and how it was made. */
  finalImage: Frame | null;
  result: FinishedRun | null;
  /** The batched run in progress or last made; null after a single picture. */
  batch: BatchRun | null;
}

export const INITIAL_RUN: RunState = {
  machine: INITIAL_RUN_MACHINE,
  status: 'idle',
  error: null,
  notice: null,
  loadProgress: null,
  activeParams: null,
  step: 0,
  total: 0,
  stepsPerSecond: 0,
  progress: 0,
  frames: [],
  scrubStep: null,
  finalImage: null,
  result: null,
  batch: null,
};

/** The run machine's events with what each one brings (each is also a `RunEvent`). */
export type RunAction =
  /** `batch`: the run makes these pictures in one batched run. */
  | { type: 'generate'; load: boolean; params: GenerateParams; batch?: BatchPlan }
  | { type: 'loadModel'; params: GenerateParams }
  | { type: 'loading'; run: number; params: GenerateParams }
  | { type: 'loadProgress'; run: number; progress: LoadProgress }
  /** `batch`: the plan again, made from the settings as the model left them (it may move the class). */
  | { type: 'sample'; run: number; params: GenerateParams; batch?: BatchPlan }
  | { type: 'loaded'; run: number }
  | ({ type: 'step'; run: number } & StepUpdate)
  | ({ type: 'step'; run: number; batch: true } & BatchStepUpdate)
  | { type: 'finished'; run: number; result: GenerateResult; model: ModelRef; modelName: string; precision?: Precision }
  | { type: 'finished'; run: number; batch: BatchResult; params: GenerateParams; model: ModelRef; modelName: string; precision?: Precision }
  | { type: 'cancel' }
  | { type: 'aborted'; run: number }
  | { type: 'failed'; run?: number; message: string }
  | { type: 'dismiss' };

const MAX_FRAME_SIDE = 256;
const MIN_FRAME_SIDE = 16;
/** The stored views of one run (3 per step per picture) stay under this many bytes. */
const FRAME_BUDGET_BYTES = 96 * 2 ** 20;

/**
 * The longest side stored views are downscaled to: at most 256 px, less when a long batched run's
 * views would not fit the budget (the cells are small; latent models' views are small anyway).
 */
export function frameSide(pictures: number, steps: number): number {
  const bytesPerPixel = Math.max(1, pictures) * Math.max(1, steps) * 3 * 4;
  return Math.max(MIN_FRAME_SIDE, Math.min(MAX_FRAME_SIDE, Math.floor(Math.sqrt(FRAME_BUDGET_BYTES / bytesPerPixel))));
}

function downscaleViews(v: StepViews, side: number): StepViews {
  return { x0: downscaleFrame(v.x0, side), xt: downscaleFrame(v.xt, side), eps: downscaleFrame(v.eps, side) };
}

function newBatch(plan: BatchPlan): BatchRun {
  return { plan, frames: plan.pictures.map(() => []), images: null };
}

/** A run (re)starts: nothing of the previous one's progress or messages stays. */
function started(params: GenerateParams): Partial<RunState> {
  return {
    error: null,
    notice: null,
    loadProgress: null,
    activeParams: params,
    step: 0,
    total: params.steps,
    stepsPerSecond: 0,
    progress: 0,
    frames: [],
    scrubStep: null,
  };
}

function produced(run: RunState, a: RunAction): Partial<RunState> {
  switch (a.type) {
    case 'generate':
      return { ...started(a.params), batch: a.batch ? newBatch(a.batch) : null };
    case 'loadModel':
    case 'loading':
      return started(a.params);
    case 'loadProgress': {
      const p = a.progress;
      return { loadProgress: p, progress: p.totalBytes > 0 ? Math.min(1, p.loadedBytes / p.totalBytes) : run.progress };
    }
    case 'sample':
      return { activeParams: a.params, total: a.params.steps, progress: 0, step: 0, ...(a.batch ? { batch: newBatch(a.batch) } : {}) };
    case 'loaded':
      return { loadProgress: null, progress: 0 };
    case 'step': {
      const progress = { step: a.step, total: a.total, stepsPerSecond: a.stepsPerSecond, progress: a.total > 0 ? a.step / a.total : 0 };
      if (!('batch' in a)) return { ...progress, frames: [...run.frames, downscaleViews(a.views, frameSide(1, a.total))] };
      if (!run.batch) return progress;
      const side = frameSide(a.views.length, a.total);
      const frames = run.batch.frames.map((steps, i) => (a.views[i] ? [...steps, downscaleViews(a.views[i], side)] : steps));
      return { ...progress, batch: { ...run.batch, frames } };
    }
    case 'finished': {
      const steps = 'batch' in a ? a.batch.params.steps : a.result.params.steps;
      const done = { error: null, notice: null, step: steps, total: steps, progress: 1, scrubStep: null };
      const made = { model: a.model, modelName: a.modelName, precision: a.precision ?? 'f32' };
      if ('batch' in a) {
        const b = a.batch;
        return {
          ...done,
          batch: run.batch ? { ...run.batch, images: b.images } : null,
          result: { params: a.params, modelId: b.modelId, elapsedMs: b.elapsedMs, ...made },
        };
      }
      const r = a.result;
      return { ...done, finalImage: r.image, result: { params: r.params, modelId: r.modelId, elapsedMs: r.elapsedMs, ...made } };
    }
    case 'cancel':
    case 'aborted':
      return { notice: 'Cancelled.', loadProgress: null };
    case 'failed':
      return { error: a.message, notice: null, loadProgress: null };
    case 'dismiss':
      return { error: null };
  }
}

/** The run after an event: the same object when the machine rejects it. */
export function reduceRun(run: RunState, action: RunAction): RunState {
  const t = transition(run.machine, action);
  if (!t.ok) return run;
  return { ...run, ...produced(run, action), machine: t.next, status: runStatus(t.next.phase) };
}

export function isBusy(s: { run: Pick<RunState, 'status'> }): boolean {
  return s.run.status === 'loading' || s.run.status === 'running';
}

/**
 * Whether releasing the guidance slider should start a new image: only once an image has been
 * finished in this session, and only if the guidance differs from the image being made (when a run
 * is in progress, which is then cancelled) or from the image shown, and is not one of the scales of
 * the guidance sweep shown.
 */
export function shouldRegenerateOnRelease(s: {
  run: Pick<RunState, 'status' | 'result' | 'activeParams' | 'batch'>;
  settings: { cfgScale: number };
  engine: EngineState;
}): boolean {
  if (s.engine.status === 'unavailable') return false;
  if (!s.run.result) return false;
  const cfg = s.settings.cfgScale;
  // A scale the sweep has made is shown at once, from the sweep.
  if (sweepHasScale(s.run.batch?.plan, cfg)) return false;
  if (isBusy(s)) return s.run.activeParams?.cfgScale !== cfg;
  return s.run.result.params.cfgScale !== cfg;
}
