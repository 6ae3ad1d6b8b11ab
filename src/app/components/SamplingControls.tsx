import { useEffect, useId, useState } from 'react';
import type { SamplerKind } from '../../engine/api';
import { useStudio, useStudioStore } from '../context';
import { DiceIcon } from './ClassPicker';
import { DIT_HUB_MODELS } from '../../model/hub-models';
import { effectiveModel, hasF16, loadedBuiltin, selectedHubSize } from '../state/model-choice';
import { SAMPLERS, SEED_MAX, STEPS_MAX, STEPS_MIN, type Precision } from '../state/settings';

/** A number input that lets the user type freely and commits valid integers. */
function IntegerInput(props: {
  id: string;
  testId: string;
  value: number;
  min: number;
  max: number;
  onCommit: (v: number) => void;
  describedBy?: string;
}) {
  const { value, min, max, onCommit } = props;
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  return (
    <input
      id={props.id}
      data-testid={props.testId}
      type="number"
      inputMode="numeric"
      min={min}
      max={max}
      step={1}
      value={text}
      aria-describedby={props.describedBy}
      onChange={(e) => {
        setText(e.target.value);
        const t = e.target.value.trim();
        if (/^\d+$/.test(t)) onCommit(Number(t));
      }}
      onBlur={() => setText(String(value))}
    />
  );
}

export function SamplingControls() {
  const store = useStudioStore();
  const steps = useStudio((s) => s.settings.steps);
  const sampler = useStudio((s) => s.settings.sampler);
  const seed = useStudio((s) => s.settings.seed);
  const size = useStudio(selectedHubSize);
  const precision = useStudio((s) => s.settings.precision);
  const f16 = useStudio(hasF16);
  const modelKind = useStudio((s) => effectiveModel(s).kind);
  const builtinSize = useStudio((s) => loadedBuiltin(s)?.imageSize);
  const id = useId();

  return (
    <div className="sampling">
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-sampler`}>Sampler</label>
          <select
            id={`${id}-sampler`}
            data-testid="sampler"
            value={sampler}
            onChange={(e) => store.getState().setSampler(e.target.value as SamplerKind)}
          >
            {SAMPLERS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-narrow">
          <label htmlFor={`${id}-steps`}>Steps</label>
          <IntegerInput
            id={`${id}-steps`}
            testId="steps"
            value={steps}
            min={STEPS_MIN}
            max={STEPS_MAX}
            onCommit={(v) => store.getState().setSteps(v)}
          />
        </div>
      </div>

      <div className="field">
        <label htmlFor={`${id}-seed`}>Seed</label>
        <div className="input-with-button">
          <IntegerInput id={`${id}-seed`} testId="seed" value={seed} min={0} max={SEED_MAX} onCommit={(v) => store.getState().setSeed(v)} />
          <button
            type="button"
            className="icon-button"
            aria-label="Random seed"
            title="Random seed"
            onClick={() => store.getState().randomizeSeed()}
          >
            <DiceIcon />
          </button>
        </div>
      </div>

      <div className="field-row">
        <fieldset className="field segmented-field" disabled={size === null}>
          <legend>Image size</legend>
          <div className="segmented">
            {DIT_HUB_MODELS.map(({ imageSize: v }) => (
              <label key={v} className="segment">
                <input
                  type="radio"
                  name={`${id}-size`}
                  value={v}
                  checked={size === v}
                  onChange={() => store.getState().setSize(v)}
                />
                <span>{v}</span>
              </label>
            ))}
          </div>
          {modelKind === 'builtin' && <span className="hint">Built-in model: {builtinSize ?? 32} px</span>}
          {modelKind === 'files' && <span className="hint">Set by the local files</span>}
          {modelKind === 'hub' && size === null && <span className="hint">Set by the repository</span>}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-precision`}>Precision</label>
          {f16 ? (
            <select
              id={`${id}-precision`}
              value={precision}
              onChange={(e) => store.getState().setPrecision(e.target.value as Precision)}
            >
              <option value="f32">f32 (exact)</option>
              <option value="f16">f16 (faster, less memory)</option>
            </select>
          ) : (
            <select id={`${id}-precision`} value="f32" disabled aria-describedby={`${id}-precision-hint`}>
              <option value="f32">f32</option>
            </select>
          )}
          {!f16 && (
            <span id={`${id}-precision-hint`} className="hint">
              f16 needs the GPU feature shader-f16
            </span>
          )}
        </div>
      </div>
    </div>
  );
}
