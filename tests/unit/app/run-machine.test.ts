import { describe, expect, it } from 'vitest';
import {
  INITIAL_RUN_MACHINE,
  isActive,
  isCurrentRun,
  runStatus,
  transition,
  type RunEvent,
  type RunMachine,
  type RunPhase,
} from '../../../src/app/run-machine';

/** Applies events in order; every one must be accepted. */
function run(events: RunEvent[], from: RunMachine = INITIAL_RUN_MACHINE): RunMachine {
  return events.reduce((m, e) => {
    const t = transition(m, e);
    if (!t.ok) throw new Error(`${e.type} rejected in ${m.phase}: ${t.reason}`);
    return t.next;
  }, from);
}

function rejects(m: RunMachine, e: RunEvent): string {
  const t = transition(m, e);
  if (t.ok) throw new Error(`${e.type} accepted in ${m.phase} (→ ${t.next.phase})`);
  return t.reason;
}

const PHASES: RunPhase[] = ['idle', 'loading', 'sampling', 'decoding', 'done', 'cancelled', 'failed'];
const at = (phase: RunPhase, patch: Partial<RunMachine> = {}): RunMachine => Object.freeze({ ...INITIAL_RUN_MACHINE, run: 3, phase, ...patch });

describe('run machine', () => {
  it('starts idle, with no run', () => {
    expect(INITIAL_RUN_MACHINE).toEqual({ phase: 'idle', run: 0, goal: 'image', hasImage: false });
  });

  it('goes idle → loading → sampling → decoding → done for an image that needs its model', () => {
    const seen: RunPhase[] = [];
    let m = INITIAL_RUN_MACHINE;
    const events: RunEvent[] = [
      { type: 'generate', load: true },
      { type: 'loadProgress', run: 1 },
      { type: 'sample', run: 1 },
      { type: 'step', run: 1, step: 1, total: 3 },
      { type: 'step', run: 1, step: 2, total: 3 },
      { type: 'step', run: 1, step: 3, total: 3 },
      { type: 'finished', run: 1 },
    ];
    for (const e of events) {
      m = run([e], m);
      seen.push(m.phase);
    }
    expect(seen).toEqual(['loading', 'loading', 'sampling', 'sampling', 'sampling', 'decoding', 'done']);
    expect(m).toEqual({ phase: 'done', run: 1, goal: 'image', hasImage: true });
  });

  it('samples at once when the model is loaded, and may finish without a last step', () => {
    const m = run([{ type: 'generate', load: false }]);
    expect(m.phase).toBe('sampling');
    expect(run([{ type: 'finished', run: 1 }], m).phase).toBe('done');
  });

  it('a new Generate supersedes the run in progress in every phase; late events of the old run are stale', () => {
    for (const phase of PHASES) {
      const next = run([{ type: 'generate', load: false }], at(phase));
      expect(next).toMatchObject({ phase: 'sampling', run: 4, goal: 'image' });
      for (const e of [
        { type: 'step', run: 3, step: 1, total: 2 },
        { type: 'finished', run: 3 },
        { type: 'failed', run: 3 },
        { type: 'aborted', run: 3 },
        { type: 'loadProgress', run: 3 },
      ] as RunEvent[]) {
        expect(rejects(next, e)).toMatch(/stale/);
      }
    }
  });

  it('cancels only a run in progress, and nothing of that run counts afterwards', () => {
    for (const phase of PHASES) {
      if (isActive(phase)) {
        const m = run([{ type: 'cancel' }], at(phase));
        expect(m).toMatchObject({ phase: 'cancelled', run: 3 });
        expect(rejects(m, { type: 'step', run: 3, step: 1, total: 2 })).toMatch(/ended/);
        expect(rejects(m, { type: 'finished', run: 3 })).toMatch(/ended/);
        expect(rejects(m, { type: 'failed', run: 3 })).toMatch(/ended/);
        expect(rejects(m, { type: 'aborted', run: 3 })).toMatch(/ended/);
      } else {
        expect(rejects(at(phase), { type: 'cancel' })).toMatch(/nothing to cancel/);
      }
    }
  });

  it('an abort reported by the engine cancels the run', () => {
    expect(run([{ type: 'aborted', run: 3 }], at('sampling')).phase).toBe('cancelled');
  });

  it('fails a run in progress; the error is dismissed back to idle', () => {
    for (const phase of ['loading', 'sampling', 'decoding'] as RunPhase[]) {
      const m = run([{ type: 'failed', run: 3 }], at(phase));
      expect(m.phase).toBe('failed');
      expect(run([{ type: 'dismiss' }], m).phase).toBe('idle');
    }
    for (const phase of PHASES.filter((p) => p !== 'failed')) {
      expect(rejects(at(phase), { type: 'dismiss' })).toMatch(/no error/);
    }
  });

  it('takes an error outside a run only at rest', () => {
    for (const phase of PHASES) {
      if (isActive(phase)) expect(rejects(at(phase), { type: 'failed' })).toMatch(/a run is/);
      else expect(run([{ type: 'failed' }], at(phase))).toMatchObject({ phase: 'failed', run: 3 });
    }
  });

  it('a model-only run loads and returns to what was shown before', () => {
    const first = run([{ type: 'loadModel' }]);
    expect(first).toMatchObject({ phase: 'loading', run: 1, goal: 'model' });
    expect(run([{ type: 'loaded', run: 1 }], first).phase).toBe('idle');
    const afterImage = run([{ type: 'loadModel' }], at('done', { hasImage: true }));
    expect(run([{ type: 'loaded', run: 4 }], afterImage)).toMatchObject({ phase: 'done', hasImage: true });
    // It makes no image, and an image run does not end as a load.
    expect(rejects(first, { type: 'sample', run: 1 })).toMatch(/model run/);
    expect(rejects(first, { type: 'loading', run: 1 })).toMatch(/model run/);
    expect(rejects(run([{ type: 'generate', load: true }]), { type: 'loaded', run: 1 })).toMatch(/image run/);
    // Only when nothing runs.
    for (const phase of ['loading', 'sampling', 'decoding'] as RunPhase[]) expect(rejects(at(phase), { type: 'loadModel' })).toMatch(/a run is/);
  });

  it('an image run may have to load after all, but not once it is decoding', () => {
    expect(run([{ type: 'loading', run: 3 }], at('sampling')).phase).toBe('loading');
    expect(run([{ type: 'loading', run: 3 }], at('loading')).phase).toBe('loading');
    expect(rejects(at('decoding'), { type: 'loading', run: 3 })).toMatch(/loading while decoding/);
  });

  it('rejects events in the wrong phase of the current run', () => {
    expect(rejects(at('loading'), { type: 'step', run: 3, step: 1, total: 4 })).toMatch(/step while loading/);
    expect(rejects(at('decoding'), { type: 'step', run: 3, step: 4, total: 4 })).toMatch(/step while decoding/);
    expect(rejects(at('sampling'), { type: 'loadProgress', run: 3 })).toMatch(/loadProgress while sampling/);
    expect(rejects(at('loading'), { type: 'finished', run: 3 })).toMatch(/finished while loading/);
    expect(rejects(at('decoding'), { type: 'sample', run: 3 })).toMatch(/sample while decoding/);
    // Nothing but Generate, a model-only load or an outside error moves a machine at rest.
    for (const phase of PHASES.filter((p) => !isActive(p))) {
      for (const e of [
        { type: 'sample', run: 3 },
        { type: 'step', run: 3, step: 1, total: 2 },
        { type: 'finished', run: 3 },
        { type: 'loaded', run: 3 },
        { type: 'loadProgress', run: 3 },
      ] as RunEvent[]) {
        expect(rejects(at(phase), e)).toMatch(/ended/);
      }
    }
  });

  it('is pure: the state it is given is never changed', () => {
    const m = at('sampling'); // frozen
    const t = transition(m, { type: 'step', run: 3, step: 1, total: 1 });
    expect(t.ok && t.next.phase).toBe('decoding');
    expect(m.phase).toBe('sampling');
    expect(transition(m, { type: 'step', run: 3, step: 1, total: 1 })).toEqual(t);
  });

  it('maps phases to the statuses the UI shows', () => {
    expect(Object.fromEntries(PHASES.map((p) => [p, runStatus(p)]))).toEqual({
      idle: 'idle',
      loading: 'loading',
      sampling: 'running',
      decoding: 'running',
      done: 'done',
      cancelled: 'idle',
      failed: 'error',
    });
  });

  it('knows the current run', () => {
    expect(isCurrentRun(at('sampling'), 3)).toBe(true);
    expect(isCurrentRun(at('sampling'), 2)).toBe(false);
    expect(isCurrentRun(at('cancelled'), 3)).toBe(false);
    expect(isCurrentRun(at('done'), 3)).toBe(false);
  });
});
