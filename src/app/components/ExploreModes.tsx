import { useEffect, useId, useState } from 'react';
import { useStudio, useStudioStore } from '../context';
import { EXPLORE_MODES, formatSweepScales, GRID_SIZES, gridSeeds, parseSweepScales, STRIP_COUNTS, SWEEP_MAX, SWEEP_MIN } from '../state/explore';

/** What Generate makes: one picture, or several in one batched run (a guidance sweep, a seed grid, a blend strip). */
export function ExploreModes() {
  const store = useStudioStore();
  const mode = useStudio((s) => s.explore.mode);
  const id = useId();

  return (
    <div className="explore-modes">
      <fieldset className="field segmented-field">
        <legend>Make</legend>
        <div className="segmented wrap">
          {EXPLORE_MODES.map((m) => (
            <label key={m.value} className="segment">
              <input
                type="radio"
                name={`${id}-mode`}
                value={m.value}
                data-testid={`mode-${m.value}`}
                checked={mode === m.value}
                onChange={() => store.getState().setExplore({ mode: m.value })}
              />
              <span>{m.label}</span>
            </label>
          ))}
        </div>
      </fieldset>
      {mode === 'sweep' && <SweepOptions />}
      {mode === 'grid' && <GridOptions />}
      {mode === 'strip' && <StripOptions />}
    </div>
  );
}

/** The sweep's guidance scales as typed text, committed when valid. */
function SweepOptions() {
  const store = useStudioStore();
  const scales = useStudio((s) => s.explore.sweepScales);
  const [text, setText] = useState(formatSweepScales(scales));
  useEffect(() => setText(formatSweepScales(scales)), [scales]);
  const id = useId();
  const valid = parseSweepScales(text) !== null;
  return (
    <div className="field">
      <label htmlFor={id}>Guidance scales</label>
      <input
        id={id}
        data-testid="sweep-scales"
        type="text"
        inputMode="decimal"
        value={text}
        aria-invalid={!valid}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = parseSweepScales(e.target.value);
          if (parsed) store.getState().setExplore({ sweepScales: parsed });
        }}
        onBlur={() => setText(formatSweepScales(scales))}
      />
      <p id={`${id}-hint`} className={valid ? 'hint' : 'field-error'}>
        {valid
          ? 'Same class and seed at each scale, in one run. Then the guidance slider shows the nearest one at once.'
          : `${SWEEP_MIN}–${SWEEP_MAX} numbers from 1 to 10, e.g. 1, 2, 4, 8.`}
      </p>
    </div>
  );
}

function GridOptions() {
  const store = useStudioStore();
  const size = useStudio((s) => s.explore.gridSize);
  const seed = useStudio((s) => s.settings.seed);
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Seeds</label>
      <select id={id} data-testid="grid-size" value={size} aria-describedby={`${id}-hint`} onChange={(e) => store.getState().setExplore({ gridSize: Number(e.target.value) })}>
        {GRID_SIZES.map((n) => (
          <option key={n} value={n}>
            {n} pictures
          </option>
        ))}
      </select>
      <p id={`${id}-hint`} className="hint">
        Seeds {seed} to {gridSeeds(seed, size).at(-1)}. Click a picture to use its seed.
      </p>
    </div>
  );
}

function StripOptions() {
  const store = useStudioStore();
  const count = useStudio((s) => s.explore.stripCount);
  const hasBlend = useStudio((s) => s.settings.blendClassId !== null);
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Blend weights</label>
      <select id={id} data-testid="strip-count" value={count} aria-describedby={`${id}-hint`} onChange={(e) => store.getState().setExplore({ stripCount: Number(e.target.value) })}>
        {STRIP_COUNTS.map((n) => (
          <option key={n} value={n}>
            {n} steps, w = 0 … 1
          </option>
        ))}
      </select>
      <p id={`${id}-hint`} className={hasBlend ? 'hint' : 'field-error'}>
        {hasBlend ? 'One class turning into the second, with the same noise.' : 'Pick a second class under “Class blend” first.'}
      </p>
    </div>
  );
}
