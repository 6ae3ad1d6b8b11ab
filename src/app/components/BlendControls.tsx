import { useId } from 'react';
import { className, shortClassName } from '../../data/imagenet';
import { useStudio, useStudioStore } from '../context';
import { modelClasses } from '../state/classes';
import { BLEND_WEIGHT_MAX, BLEND_WEIGHT_MIN } from '../state/settings';
import { ClassSearch } from './ClassSearch';

/**
 * A class blend: a second class and how much of it (w), mixed in the label embedding:
 * (1 − w)·class + w·second class. Generate uses it; the blend strip walks w from 0 to 1.
 */
export function BlendControls() {
  const store = useStudioStore();
  const classId = useStudio((s) => s.settings.classId);
  const blendId = useStudio((s) => s.settings.blendClassId);
  const weight = useStudio((s) => s.settings.blendWeight);
  const restrictTo = useStudio(modelClasses);
  const id = useId();
  const off = blendId === null;
  const outside = !off && restrictTo !== null && !restrictTo.includes(blendId);

  return (
    <fieldset className="field blend-controls">
      <legend>Class blend</legend>
      <div className="field-head">
        <label htmlFor={`${id}-class`}>Blend with</label>
        <span className="blend-current" data-testid="blend-current">
          {off ? (
            <span className="hint">none</span>
          ) : (
            <>
              <span className="blend-name">{shortClassName(blendId)}</span> <span className="class-id">#{blendId}</span>
            </>
          )}
        </span>
      </div>
      {outside && (
        <p className="field-error" role="status">
          This model does not know the second class: pick one of its classes.
        </p>
      )}
      <ClassSearch
        id={`${id}-class`}
        testId="blend-class-search"
        optionTestId="blend-class-option"
        currentId={blendId}
        onPick={(c) => store.getState().setBlendClassId(c)}
        restrictTo={restrictTo}
        placeholder="Search a second class…"
        description={off ? 'No second class: the picture is of one class.' : `Second class: ${className(blendId)}, id ${blendId}.`}
        outsideMessage="The model does not know this class."
      >
        <button
          type="button"
          className="icon-button"
          data-testid="blend-clear"
          aria-label="No blend"
          title="No blend"
          disabled={off}
          onClick={() => store.getState().setBlendClassId(null)}
        >
          ×
        </button>
      </ClassSearch>
      <div className="field-head">
        <label htmlFor={`${id}-weight`}>Mix w</label>
        <output htmlFor={`${id}-weight`} className="value-badge" aria-live="off">
          {weight.toFixed(2)}
        </output>
      </div>
      <input
        id={`${id}-weight`}
        data-testid="blend-weight"
        type="range"
        className="slider"
        min={BLEND_WEIGHT_MIN}
        max={BLEND_WEIGHT_MAX}
        step={0.05}
        value={weight}
        disabled={off}
        style={{ ['--fill' as string]: `${weight * 100}%` }}
        aria-valuetext={off ? 'no blend' : `${weight.toFixed(2)}: ${Math.round((1 - weight) * 100)}% ${shortClassName(classId)}, ${Math.round(weight * 100)}% ${shortClassName(blendId)}`}
        onChange={(e) => store.getState().setBlendWeight(Number(e.target.value))}
      />
      <div className="slider-scale" aria-hidden="true">
        <span>0 · {shortClassName(classId)}</span>
        <span>1 · {off ? 'second class' : shortClassName(blendId)}</span>
      </div>
    </fieldset>
  );
}
