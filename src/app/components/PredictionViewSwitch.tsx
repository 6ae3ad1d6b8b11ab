import { useId } from 'react';
import { useStudio, useStudioStore } from '../context';
import { PREDICTION_VIEWS } from '../state/explore';

/** Which of the model's predictions the denoising view shows at each step: x̂₀, x_t or ε. */
export function PredictionViewSwitch() {
  const store = useStudioStore();
  const view = useStudio((s) => s.explore.view);
  const id = useId();
  return (
    <fieldset className="field segmented-field view-switch">
      <legend>Show</legend>
      <div className="segmented">
        {PREDICTION_VIEWS.map((v) => (
          <label key={v.value} className="segment" title={v.description}>
            <input
              type="radio"
              name={`${id}-view`}
              value={v.value}
              data-testid={`view-${v.value}`}
              checked={view === v.value}
              aria-label={`${v.label}: ${v.description}`}
              onChange={() => store.getState().setExplore({ view: v.value })}
            />
            <span>{v.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
