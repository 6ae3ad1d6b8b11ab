import { useStudioStore } from '../context';
import type { PredictionView } from '../state/explore';
import { showsFinalImage, viewFrame } from '../state/picture';
import type { BatchRun } from '../state/run';
import { FrameCanvas } from './FrameCanvas';

/**
 * The pictures of a batched run side by side, each animating its steps (or showing the scrubbed
 * step), labelled with what differs (the guidance, the seed, the blend weight). Clicking one
 * makes it the current picture.
 */
export function BatchCells(props: { batch: BatchRun; selected: number; shownStep: number; view: PredictionView; done: boolean }) {
  const store = useStudioStore();
  const { batch, selected, shownStep, view, done } = props;
  const { plan } = batch;
  const count = plan.pictures.length;
  const what = plan.kind === 'sweep' ? 'Guidance sweep' : plan.kind === 'grid' ? 'Seed grid' : 'Blend strip';
  return (
    <div className={`batch-cells ${plan.kind}`} style={{ ['--cells' as string]: count }} role="group" aria-label={`${what}: ${count} pictures`} data-testid="batch-cells">
      {plan.pictures.map((_, i) => {
        const frames = batch.frames[i] ?? [];
        const step = Math.max(1, Math.min(shownStep, frames.length));
        const image = done ? (batch.images?.[i] ?? null) : null;
        const frame = showsFinalImage(image, shownStep, frames.length, view) ? image : viewFrame(frames[step - 1], view);
        const label = plan.labels[i];
        return (
          <button
            key={i}
            type="button"
            className={`batch-cell${i === selected ? ' selected' : ''}`}
            data-testid={`batch-cell-${i}`}
            aria-pressed={i === selected}
            aria-label={`Show ${label}`}
            title={`Make ${label} the current picture`}
            onClick={() => store.getState().pickBatchCell(i)}
          >
            <span className="cell-frame">
              <FrameCanvas frame={frame} testId={`batch-cell-image-${i}`} className="cell-canvas" label={label} hidden={!frame} />
            </span>
            <span className="cell-label">{label}</span>
          </button>
        );
      })}
    </div>
  );
}
