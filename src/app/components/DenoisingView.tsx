import { useEffect, useId, useRef, useState } from 'react';
import type { Frame } from '../../engine/api';
import { shortClassName } from '../../data/imagenet';
import { useStudio, useStudioStore } from '../context';
import { downloadPng } from '../download';
import { formatDuration, formatRate } from '../format';
import { isBusy } from '../state/run';
import { samplerLabel } from '../state/settings';

/** Draws a frame into a canvas whose intrinsic size is the frame's. */
function FrameCanvas(props: { frame: Frame | null; testId: string; label: string; hidden?: boolean }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { frame } = props;
  useEffect(() => {
    const c = ref.current;
    if (!c || !frame) return;
    if (c.width !== frame.width) c.width = frame.width;
    if (c.height !== frame.height) c.height = frame.height;
    let ctx: CanvasRenderingContext2D | null = null;
    try {
      ctx = c.getContext('2d');
    } catch {
      ctx = null; // no canvas support (tests)
    }
    if (!ctx || typeof ImageData === 'undefined') return;
    const rgba = new Uint8ClampedArray(frame.rgba.buffer as ArrayBuffer, frame.rgba.byteOffset, frame.rgba.byteLength);
    ctx.putImageData(new ImageData(rgba, frame.width, frame.height), 0, 0);
  }, [frame]);
  const small = frame ? frame.width < 256 : false;
  return (
    <canvas
      ref={ref}
      data-testid={props.testId}
      width={frame?.width ?? 256}
      height={frame?.height ?? 256}
      className={`stage-canvas${small ? ' pixelated' : ''}`}
      role="img"
      aria-label={props.label}
      hidden={props.hidden}
    />
  );
}

export function DenoisingView() {
  const store = useStudioStore();
  const run = useStudio((s) => s.run);
  const busy = useStudio(isBusy);
  const plannedSteps = useStudio((s) => s.settings.steps);
  const [playing, setPlaying] = useState(false);
  const [saving, setSaving] = useState(false);
  const id = useId();

  const frames = run.frames;
  const done = run.status === 'done' && run.finalImage !== null;
  const lastStep = frames.length;
  const shownStep = run.scrubStep ?? lastStep;
  const showFinal = done && shownStep >= lastStep;
  const previewFrame = frames.length ? frames[Math.max(0, Math.min(lastStep, shownStep) - 1)] : null;
  const total = run.total || plannedSteps;
  const counterStep = run.status === 'idle' && run.step === 0 ? 0 : run.step;

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

  const result = run.result;
  const p = done ? result?.params : run.activeParams;
  const caption = p
    ? `${shortClassName(p.classId)} · #${p.classId} · guidance ${p.cfgScale.toFixed(1)} · ${p.steps} ${samplerLabel(p.sampler)} steps · seed ${p.seed}`
    : null;

  return (
    <section className="panel stage" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="visually-hidden">
        Image
      </h2>
      <div className={`canvas-frame${busy ? ' busy' : ''}`}>
        <FrameCanvas frame={previewFrame} testId="step-preview" label={`Denoising preview, step ${shownStep}`} hidden={showFinal} />
        {run.finalImage && (
          <FrameCanvas
            frame={run.finalImage}
            testId="final-image"
            label={result ? `Generated image: ${shortClassName(result.params.classId)}` : 'Generated image'}
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

      <div className="stage-meta">
        <span className="counter" aria-label="Step">
          <span data-testid="step-counter">
            {counterStep} / {total}
          </span>
        </span>
        <span className="rate">{formatRate(run.stepsPerSecond)}</span>
        {done && result && <span className="elapsed">{formatDuration(result.elapsedMs / 1000)}</span>}
        {caption && <span className="caption">{caption}</span>}
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
            if (!run.finalImage || !result) return;
            setSaving(true);
            try {
              await downloadPng(run.finalImage, result);
            } finally {
              setSaving(false);
            }
          }}
        >
          <DownloadIcon /> PNG
        </button>
      </div>
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
