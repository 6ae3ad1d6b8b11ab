/**
 * The current run as the UI shows it: the run machine's state (../run-machine.ts) and what the run
 * has produced so far (download progress, every step's preview for the scrubber, the final image).
 * {@link reduceRun} is the only way it changes: it asks the machine first, and an event the machine
 * rejects leaves the run untouched.
 */
import type { Frame, GenerateParams, GenerateResult, LoadProgress, StepUpdate } from '../../engine/api';
import { downscaleFrame, type ModelRef } from '../gallery';
import { INITIAL_RUN_MACHINE, runStatus, transition, type EngineState, type RunMachine, type RunStatus } from '../run-machine';

export interface FinishedRun {
  params: GenerateParams;
  model: ModelRef;
  modelId: string;
  modelName: string;
  elapsedMs: number;
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
  /** Every step's preview (downscaled to at most 256 px) for the scrubber. */
  frames: Frame[];
  /** The step shown by the scrubber, 1-based; null follows the run (the last step / final image). */
  scrubStep: number | null;
  /** The last finished image of this session, and how it was made. */
  finalImage: Frame | null;
  result: FinishedRun | null;
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
};

/** The run machine's events with what each one brings (each is also a `RunEvent`). */
export type RunAction =
  | { type: 'generate'; load: boolean; params: GenerateParams }
  | { type: 'loadModel'; params: GenerateParams }
  | { type: 'loading'; run: number; params: GenerateParams }
  | { type: 'loadProgress'; run: number; progress: LoadProgress }
  | { type: 'sample'; run: number; params: GenerateParams }
  | { type: 'loaded'; run: number }
  | ({ type: 'step'; run: number } & StepUpdate)
  | { type: 'finished'; run: number; result: GenerateResult; model: ModelRef; modelName: string }
  | { type: 'cancel' }
  | { type: 'aborted'; run: number }
  | { type: 'failed'; run?: number; message: string }
  | { type: 'dismiss' };

const MAX_FRAME_SIDE = 256;

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
    case 'loadModel':
    case 'loading':
      return started(a.params);
    case 'loadProgress': {
      const p = a.progress;
      return { loadProgress: p, progress: p.totalBytes > 0 ? Math.min(1, p.loadedBytes / p.totalBytes) : run.progress };
    }
    case 'sample':
      return { activeParams: a.params, total: a.params.steps, progress: 0, step: 0 };
    case 'loaded':
      return { loadProgress: null, progress: 0 };
    case 'step':
      return {
        step: a.step,
        total: a.total,
        stepsPerSecond: a.stepsPerSecond,
        progress: a.total > 0 ? a.step / a.total : 0,
        frames: [...run.frames, downscaleFrame(a.preview, MAX_FRAME_SIDE)],
      };
    case 'finished': {
      const r = a.result;
      return {
        error: null,
        notice: null,
        step: r.params.steps,
        total: r.params.steps,
        progress: 1,
        scrubStep: null,
        finalImage: r.image,
        result: { params: r.params, model: a.model, modelId: r.modelId, modelName: a.modelName, elapsedMs: r.elapsedMs },
      };
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
 * is in progress, which is then cancelled) or from the image shown.
 */
export function shouldRegenerateOnRelease(s: {
  run: Pick<RunState, 'status' | 'result' | 'activeParams'>;
  settings: { cfgScale: number };
  engine: EngineState;
}): boolean {
  if (s.engine.status === 'unavailable') return false;
  if (!s.run.result) return false;
  const cfg = s.settings.cfgScale;
  if (isBusy(s)) return s.run.activeParams?.cfgScale !== cfg;
  return s.run.result.params.cfgScale !== cfg;
}
