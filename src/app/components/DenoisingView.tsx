import { useEffect, useId, useMemo, useState } from 'react';
import type { GenerateParams } from '../../engine/api';
import { shortClassName } from '../../data/imagenet';
import { useStudio, useStudioStore } from '../context';
import { downloadPng, linkFor } from '../download';
import { formatDuration, formatRate } from '../format';
import { PREDICTION_VIEWS } from '../state/explore';
import { currentPicture, showsFinalImage, viewFrame } from '../state/picture';
import { isBusy } from '../state/run';
import { samplerLabel } from '../state/settings';
import { BatchCells } from './BatchCells';
import { FrameCanvas } from './FrameCanvas';
import { PredictionViewSwitch } from './PredictionViewSwitch';
import { ShareButton, SharedLinkRow, type Shared } from './ShareLink';

function describe(p: GenerateParams): string {
  const blend = p.blend ? ` → ${shortClassName(p.blend.classId)} · w ${p.blend.weight.toFixed(2)}` : '';
  return `${shortClassName(p.classId)} · #${p.classId}${blend} · guidance ${p.cfgScale.toFixed(1)} · ${p.steps} ${samplerLabel(p.sampler)} steps · seed ${p.seed}`;
}

export function DenoisingView() {
  const store = useStudioStore();
  const run = useStudio((s) => s.run);
  const cfgScale = useStudio((s) => s.settings.cfgScale);
  const seed = useStudio((s) => s.settings.seed);
  const blendWeight = useStudio((s) => s.settings.blendWeight);
  const view = useStudio((s) => s.explore.view);
  const busy = useStudio(isBusy);
  const plannedSteps = useStudio((s) => s.settings.steps);
  const [playing, setPlaying] = useState(false);
  const [saving, setSaving] = useState(false);
  const [shared, setShared] = useState<Shared | null>(null);
  const id = useId();

  // The picture shown large: the run's, or the batch cell the settings select.
  const picture = useMemo(() => currentPicture(run, { cfgScale, seed, blendWeight }), [run, cfgScale, seed, blendWeight]);
  const frames = picture.frames;
  const done = picture.image !== null;
  const lastStep = frames.length;
  const shownStep = run.scrubStep ?? lastStep;
  const showFinal = showsFinalImage(picture.image, shownStep, lastStep, view);
  const previewFrame = frames.length ? viewFrame(frames[Math.max(0, Math.min(lastStep, shownStep) - 1)], view) : null;
  const total = run.total || plannedSteps;
  const counterStep = run.status === 'idle' && run.step === 0 ? 0 : run.step;
  const viewName = PREDICTION_VIEWS.find((v) => v.value === view)?.label ?? view;
  const link = picture.image && picture.result ? linkFor(picture.image, picture.result) : null;

  // Replay: walk the scrubber through every step (one frame per animation frame, ~60 steps/s).
  useEffect(() => {
    if (!playing) return;
    if (busy || frames.length < 2) {
      setPlaying(false);
      return;
    }
    let k = 1;
    let raf = 0;
    let last = 0;
    const frameMs = Math.max(16, Math.min(80, 3000 / frames.length));
    const tick = (t: number) => {
      if (t - last >= frameMs) {
        last = t;
        store.getState().setScrubStep(k);
        k++;
        if (k > frames.length) {
          store.getState().setScrubStep(null);
          setPlaying(false);
          return;
        }
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [playing, busy, frames.length, store]);

  const caption = picture.params ? describe(picture.params) : null;

  return (
    <section className="panel stage" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="visually-hidden">
        Image
      </h2>
      <div className={run.batch ? `batch-stage ${run.batch.plan.kind}` : 'single-stage'}>
        <div className={`canvas-frame${busy ? ' busy' : ''}`}>
          <FrameCanvas frame={previewFrame} testId="step-preview" label={`Denoising preview (${viewName}), step ${shownStep}`} hidden={showFinal} />
          {picture.image && (
            <FrameCanvas
              frame={picture.image}
              testId="final-image"
              label={picture.params ? `Generated image: ${shortClassName(picture.params.classId)}` : 'Generated image'}
              hidden={!showFinal}
            />
          )}
          {!previewFrame && !showFinal && (
            <div className="canvas-empty" aria-hidden="true">
              <div className={`orb${busy ? ' fast' : ''}`} />
              {run.status === 'loading' ? (
                <>
                  <p>{run.loadProgress && !run.loadProgress.fromCache ? 'Downloading the model…' : 'Loading the model…'}</p>
                  <p className="hint">{run.loadProgress ? run.loadProgress.file : 'Preparing the GPU'}</p>
                </>
              ) : run.status === 'running' ? (
                <>
                  <p>Starting to denoise…</p>
                  <p className="hint">The first step appears in a moment.</p>
                </>
              ) : (
                <>
                  <p>Pick a class and press Generate.</p>
                  <p className="hint">Each denoising step appears here as it happens.</p>
                </>
              )}
            </div>
          )}
        </div>
        {run.batch && picture.cell !== null && (
          <BatchCells batch={run.batch} selected={picture.cell} shownStep={shownStep} view={view} done={run.status === 'done'} />
        )}
      </div>

      <div className="stage-meta">
        <span className="counter" aria-label="Step">
          <span data-testid="step-counter">
            {counterStep} / {total}
          </span>
        </span>
        <span className="rate">{formatRate(run.stepsPerSecond)}</span>
        {done && picture.result && <span className="elapsed">{formatDuration(picture.result.elapsedMs / 1000)}</span>}
        <PredictionViewSwitch />
        {caption && (
          <span className="caption" data-testid="caption">
            {caption}
          </span>
        )}
      </div>

      <div className="scrub-row">
        <button
          type="button"
          className="icon-button"
          aria-label={playing ? 'Stop replay' : 'Replay every step'}
          title={playing ? 'Stop replay' : 'Replay every step'}
          disabled={busy || frames.length < 2}
          onClick={() => setPlaying((v) => !v)}
        >
          {playing ? <StopIcon /> : <PlayIcon />}
        </button>
        <label htmlFor={`${id}-scrub`} className="visually-hidden">
          Show step
        </label>
        <input
          id={`${id}-scrub`}
          data-testid="step-scrubber"
          type="range"
          className="slider"
          min={1}
          max={Math.max(1, lastStep)}
          step={1}
          value={Math.max(1, Math.min(shownStep, lastStep))}
          disabled={busy || frames.length < 2}
          style={{ ['--fill' as string]: `${lastStep > 1 ? ((Math.min(shownStep, lastStep) - 1) / (lastStep - 1)) * 100 : 0}%` }}
          aria-valuetext={`Step ${Math.min(shownStep, lastStep)} of ${lastStep}`}
          onChange={(e) => {
            setPlaying(false);
            const k = Number(e.target.value);
            store.getState().setScrubStep(k >= lastStep ? null : k);
          }}
        />
        <span className="scrub-label" aria-hidden="true">
          {lastStep ? `${Math.min(shownStep, lastStep)}/${lastStep}` : '–'}
        </span>
        <button
          type="button"
          className="secondary"
          data-testid="download"
          disabled={!done || saving}
          onClick={async () => {
            if (!picture.image || !picture.result) return;
            setSaving(true);
            try {
              await downloadPng(picture.image, picture.result);
            } finally {
              setSaving(false);
            }
          }}
        >
          <DownloadIcon /> PNG
        </button>
        <ShareButton
          link={link}
          why={done ? 'A picture made from local files cannot be shared as a link' : 'Make a picture first'}
          onShared={setShared}
        />
      </div>
      {shared && shared.link === link && <SharedLinkRow shared={shared} />}
    </section>
  );
}

function PlayIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path d="M8 5v14l11-7z" fill="currentColor" />
    </svg>
  );
}

function StopIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor" />
    </svg>
  );
}

function DownloadIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path d="M12 3v11m0 0l-4.5-4.5M12 14l4.5-4.5M4 17v3h16v-3" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
