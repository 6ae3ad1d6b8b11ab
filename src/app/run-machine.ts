/**
 * The run lifecycle as an explicit state machine: what the studio is doing with the engine, and
 * which events may move it on. `transition` is pure: it takes the state and an event and returns
 * the next state, or rejects the event with a reason (a stale event from a superseded run, a step
 * while nothing samples, a cancel with nothing to cancel). The controller reports events, the
 * store applies them (./state/run.ts), and a rejected event changes nothing.
 *
 *   any phase ── generate ──▶ loading ── sample ──▶ sampling ── last step ──▶ decoding ── finished ──▶ done
 *             └─ generate (the model is loaded) ──▶ sampling ── finished ─────────────────────────▶ done
 *   idle, done, cancelled, failed ── loadModel ──▶ loading ── loaded ──▶ done (an image was made) or idle
 *   loading, sampling, decoding ── cancel, aborted ──▶ cancelled;  ── failed ──▶ failed ── dismiss ──▶ idle
 *   sampling ── loading ──▶ loading (the model must load after all: the engine was replaced meanwhile)
 *
 * A new Generate is accepted in every phase and supersedes the run in progress (a new run id);
 * events carry the id of the run they belong to, so late events of an older run are rejected.
 * The engine's own start-up (starting → ready | unavailable) is not a run: it stays a separate
 * status ({@link EngineStatus}), as the no-WebGPU panel and the engine badge read it.
 */

import type { AdapterSummary } from '../engine/api';

/** The engine's start-up states, separate from the runs: starting → ready, or unavailable (no WebGPU). */
export type EngineStatus = 'starting' | 'ready' | 'unavailable';

export interface EngineState {
  status: EngineStatus;
  /** Why the engine is unavailable. */
  error: string | null;
  adapter: AdapterSummary | null;
}

export type RunPhase =
  /** Nothing has run yet, a model-only run ended before any image, or an error was dismissed. */
  | 'idle'
  /** Starting the engine and loading (downloading) the model. */
  | 'loading'
  /** Denoising, one step at a time (step 0: the model is ready, the first step is on its way). */
  | 'sampling'
  /** Every step is done; the final image is being made (the VAE decode of a latent model). */
  | 'decoding'
  | 'done'
  | 'cancelled'
  | 'failed';

/** What a run is for: an image (Generate), or only loading the selected model ("Download now"). */
export type RunGoal = 'image' | 'model';

export interface RunMachine {
  readonly phase: RunPhase;
  /** The current run's id: every Generate and every model-only load starts a new one (0: none yet). */
  readonly run: number;
  readonly goal: RunGoal;
  /** Whether an image has been finished in this session: a model-only run then returns to done. */
  readonly hasImage: boolean;
}

export const INITIAL_RUN_MACHINE: RunMachine = { phase: 'idle', run: 0, goal: 'image', hasImage: false };

export type RunEvent =
  /** Generate: supersedes any run in progress; `load` when the selected model is not loaded yet. */
  | { type: 'generate'; load: boolean }
  /** Load the selected model now, without generating (only when no run is in progress). */
  | { type: 'loadModel' }
  /** The image run must load the model after all (the engine was replaced while it waited). */
  | { type: 'loading'; run: number }
  | { type: 'loadProgress'; run: number }
  /** The model is ready and fits the settings: the image run starts denoising. */
  | { type: 'sample'; run: number }
  /** A model-only run has loaded its model. */
  | { type: 'loaded'; run: number }
  | { type: 'step'; run: number; step: number; total: number }
  | { type: 'finished'; run: number }
  /** The user cancelled the run in progress. */
  | { type: 'cancel' }
  /** The engine reported the run's generation as aborted. */
  | { type: 'aborted'; run: number }
  /** The run failed; without `run`, an error outside any run (start-up, clearing the cache), taken only at rest. */
  | { type: 'failed'; run?: number }
  /** The error was dismissed. */
  | { type: 'dismiss' };

export type Transition = { ok: true; next: RunMachine } | { ok: false; reason: string };

const ACTIVE: ReadonlySet<RunPhase> = new Set<RunPhase>(['loading', 'sampling', 'decoding']);

/** Whether a run is in progress (loading, sampling or decoding). */
export function isActive(phase: RunPhase): boolean {
  return ACTIVE.has(phase);
}

/** Whether `run` is the run in progress: its work still counts (not superseded, cancelled or ended). */
export function isCurrentRun(m: RunMachine, run: number): boolean {
  return m.run === run && isActive(m.phase);
}

/** The status the UI shows for a phase (components and the end-to-end tests read these). */
export type RunStatus = 'idle' | 'loading' | 'running' | 'done' | 'error';

export function runStatus(phase: RunPhase): RunStatus {
  switch (phase) {
    case 'idle':
    case 'cancelled':
      return 'idle';
    case 'loading':
      return 'loading';
    case 'sampling':
    case 'decoding':
      return 'running';
    case 'done':
      return 'done';
    case 'failed':
      return 'error';
  }
}

const to = (m: RunMachine, patch: Partial<RunMachine>): Transition => ({ ok: true, next: { ...m, ...patch } });
const reject = (reason: string): Transition => ({ ok: false, reason });

/** The phase a model-only run returns to: the image shown before it, if any. */
const rest = (m: RunMachine): RunPhase => (m.hasImage ? 'done' : 'idle');

export function transition(m: RunMachine, e: RunEvent): Transition {
  switch (e.type) {
    case 'generate':
      return to(m, { phase: e.load ? 'loading' : 'sampling', run: m.run + 1, goal: 'image' });
    case 'loadModel':
      if (isActive(m.phase)) return reject(`a run is ${m.phase}`);
      return to(m, { phase: 'loading', run: m.run + 1, goal: 'model' });
    case 'cancel':
      if (!isActive(m.phase)) return reject(`nothing to cancel (${m.phase})`);
      return to(m, { phase: 'cancelled' });
    case 'dismiss':
      if (m.phase !== 'failed') return reject(`no error to dismiss (${m.phase})`);
      return to(m, { phase: 'idle' });
    case 'failed':
      if (e.run === undefined) return isActive(m.phase) ? reject(`a run is ${m.phase}`) : to(m, { phase: 'failed' });
      break;
  }
  // Every other event belongs to a run: only the run in progress may move the machine.
  if (e.run !== m.run) return reject(`stale event of run ${e.run} (run ${m.run} is current)`);
  if (!isActive(m.phase)) return reject(`run ${e.run} has ended (${m.phase})`);
  const wrongPhase = () => reject(`${e.type} while ${m.phase} (${m.goal} run)`);
  switch (e.type) {
    case 'failed':
      return to(m, { phase: 'failed' });
    case 'aborted':
      return to(m, { phase: 'cancelled' });
    case 'loading':
      return m.goal === 'image' && m.phase !== 'decoding' ? to(m, { phase: 'loading' }) : wrongPhase();
    case 'loadProgress':
      return m.phase === 'loading' ? to(m, {}) : wrongPhase();
    case 'sample':
      return m.goal === 'image' && m.phase !== 'decoding' ? to(m, { phase: 'sampling' }) : wrongPhase();
    case 'loaded':
      return m.goal === 'model' ? to(m, { phase: rest(m) }) : wrongPhase();
    case 'step':
      if (m.phase !== 'sampling') return wrongPhase();
      return to(m, { phase: e.total > 0 && e.step >= e.total ? 'decoding' : 'sampling' });
    case 'finished':
      return m.phase === 'sampling' || m.phase === 'decoding' ? to(m, { phase: 'done', hasImage: true }) : wrongPhase();
  }
}
