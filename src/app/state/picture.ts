/**
 * The current picture: the one the denoising view shows large, the PNG download saves and the
 * Share button links to. After a single run it is that run's picture; after a batched run it is
 * the batch's selected cell (see `selectedCell`: it follows the guidance slider, the seed field or
 * the blend weight).
 */
import type { Frame, GenerateParams, StepViews } from '../../engine/api';
import { selectedCell, type PredictionView } from './explore';
import type { FinishedRun, RunState } from './run';
import type { Settings } from './settings';

export interface CurrentPicture {
  /** Its views at every step so far. */
  frames: StepViews[];
  /** Its final image, once made. */
  image: Frame | null;
  /** How it was made, once made. */
  result: FinishedRun | null;
  /** Its parameters, while it is made and after (null before any run). */
  params: GenerateParams | null;
  /** Its index in the batch shown, or null after a single run. */
  cell: number | null;
}

export function currentPicture(run: RunState, settings: Pick<Settings, 'cfgScale' | 'seed' | 'blendWeight'>): CurrentPicture {
  const done = run.status === 'done';
  const batch = run.batch;
  if (!batch) {
    const image = done ? run.finalImage : null;
    return { frames: run.frames, image, result: image ? run.result : null, params: (image ? run.result?.params : run.activeParams) ?? null, cell: null };
  }
  const cell = selectedCell(batch.plan, settings);
  const base = run.activeParams;
  const params = base ? { ...batch.plan.pictures[cell], steps: base.steps, sampler: base.sampler } : null;
  const image = (done && batch.images?.[cell]) || null;
  return { frames: batch.frames[cell] ?? [], image, result: image && run.result && params ? { ...run.result, params } : null, params, cell };
}

/** The frame of one view at a step. */
export function viewFrame(views: StepViews | undefined, view: PredictionView): Frame | null {
  return views ? views[view] : null;
}

/**
 * Whether the final image is shown rather than a step's view: at the last step of a finished
 * picture, in the views that end at it (x̂₀ and x_t); ε has no final image of its own.
 */
export function showsFinalImage(image: Frame | null, shownStep: number, lastStep: number, view: PredictionView): boolean {
  return image !== null && shownStep >= lastStep && view !== 'eps';
}
