import { useEffect, useId, useRef } from 'react';
import { useController, useStudio, useStudioStore } from '../context';
import { CFG_MAX, CFG_MIN } from '../state/settings';

/**
 * Classifier-free guidance, 1-10 in steps of 0.1. Once an image is finished, releasing the slider
 * (pointer up, key up, or the native `change` event that ends a drag) makes it again with the same
 * class and seed, cancelling a run in progress.
 */
export function GuidanceSlider() {
  const store = useStudioStore();
  const controller = useController();
  const cfg = useStudio((s) => s.settings.cfgScale);
  const hasImage = useStudio((s) => s.run.result !== null);
  const sweepShown = useStudio((s) => s.run.batch?.plan.kind === 'sweep');
  const ref = useRef<HTMLInputElement>(null);
  const id = useId();

  // React's onChange is the `input` event; the native `change` event marks the end of a drag
  // (and every keyboard step), which is when we regenerate.
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onCommit = () => {
      store.getState().setCfgScale(Number(el.value));
      controller.guidanceReleased();
    };
    el.addEventListener('change', onCommit);
    return () => el.removeEventListener('change', onCommit);
  }, [store, controller]);

  const release = () => {
    const el = ref.current;
    if (el) store.getState().setCfgScale(Number(el.value));
    controller.guidanceReleased();
  };

  const pct = ((cfg - CFG_MIN) / (CFG_MAX - CFG_MIN)) * 100;
  return (
    <div className="field">
      <div className="field-head">
        <label htmlFor={id}>Guidance scale</label>
        <output htmlFor={id} className="value-badge" aria-live="off">
          {cfg.toFixed(1)}
        </output>
      </div>
      <input
        ref={ref}
        id={id}
        data-testid="guidance-slider"
        type="range"
        className="slider"
        min={CFG_MIN}
        max={CFG_MAX}
        step={0.1}
        value={cfg}
        style={{ ['--fill' as string]: `${pct}%` }}
        aria-valuetext={`${cfg.toFixed(1)}`}
        aria-describedby={`${id}-hint`}
        onChange={(e) => store.getState().setCfgScale(Number(e.target.value))}
        onPointerUp={release}
        onKeyUp={(e) => {
          if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'].includes(e.key)) release();
        }}
      />
      <div className="slider-scale" aria-hidden="true">
        <span>1 · varied</span>
        <span>10 · on-class</span>
      </div>
      <p id={`${id}-hint`} className="hint">
        {sweepShown
          ? 'Drag to flip through the sweep (the nearest scale it made); release on another value to make that one.'
          : hasImage
            ? 'Release the slider to redraw this image (same class and seed) with the new guidance.'
            : 'How strongly the image follows the class. DiT’s default is 4.'}
      </p>
    </div>
  );
}
