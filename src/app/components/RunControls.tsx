import { useController, useStudio } from '../context';
import { formatBytes, formatDuration, formatRate } from '../format';
import { isBusy } from '../state/run';
import { ExploreModes } from './ExploreModes';

/** What to make, Generate / Cancel, the progress bar and a one-line status. */
export function RunControls() {
  const controller = useController();
  const status = useStudio((s) => s.run.status);
  const busy = useStudio(isBusy);
  const engineStatus = useStudio((s) => s.engine.status);
  const progress = useStudio((s) => s.run.progress);
  const loadProgress = useStudio((s) => s.run.loadProgress);
  const step = useStudio((s) => s.run.step);
  const total = useStudio((s) => s.run.total);
  const sps = useStudio((s) => s.run.stepsPerSecond);
  const notice = useStudio((s) => s.run.notice);
  const result = useStudio((s) => s.run.result);
  const pictures = useStudio((s) => s.run.batch?.plan.pictures.length ?? 1);
  const what = pictures > 1 ? ` ${pictures} pictures` : '';

  let line: string;
  if (status === 'loading') {
    line = loadProgress
      ? loadProgress.fromCache
        ? `Loading ${loadProgress.file} from the browser cache…`
        : `Downloading the model: ${formatBytes(loadProgress.loadedBytes)} of ${formatBytes(loadProgress.totalBytes)}${
            loadProgress.totalBytes > 0 ? ` (${Math.round((loadProgress.loadedBytes / loadProgress.totalBytes) * 100)}%)` : ''
          }${loadProgress.etaSeconds > 0 ? ` · ${formatDuration(loadProgress.etaSeconds)} left` : ''}`
      : engineStatus === 'starting'
        ? 'Starting the GPU…'
        : 'Loading the model…';
  } else if (status === 'running') {
    const eta = sps > 0 ? ` · about ${formatDuration((total - step) / sps)} left` : '';
    // After the last step the final image is still being made (the VAE decode for latent models).
    line =
      step === 0
        ? 'Preparing…'
        : step >= total
          ? `Denoised in ${total} steps · making the final image…`
          : `Denoising${what}: step ${step} of ${total} · ${formatRate(sps)}${eta}`;
  } else if (status === 'done' && result) {
    line = `${pictures > 1 ? `${pictures} pictures done` : 'Done'} in ${formatDuration(result.elapsedMs / 1000)}.`;
  } else if (status === 'error') {
    line = 'Stopped by an error.';
  } else if (notice) {
    line = notice;
  } else {
    line = engineStatus === 'starting' ? 'Starting the GPU…' : 'Ready.';
  }

  const pct = Math.round(progress * 100);
  return (
    <div className="run-controls">
      <ExploreModes />
      <div className="button-row">
        <button
          type="button"
          className="primary"
          data-testid="generate"
          disabled={engineStatus === 'unavailable'}
          onClick={() => void controller.generate()}
          aria-keyshortcuts="Control+Enter"
          title={busy ? 'Start again with the current settings (Ctrl+Enter)' : 'Generate (Ctrl+Enter)'}
        >
          <SparkIcon />
          Generate
        </button>
        <button type="button" className="secondary" data-testid="cancel" disabled={!busy} onClick={() => controller.cancel()}>
          Cancel
        </button>
      </div>
      <progress
        data-testid="progress"
        className={`progress${busy ? ' active' : ''}`}
        max={1}
        value={busy || status === 'done' ? progress : 0}
        aria-label={status === 'loading' ? 'Model download progress' : 'Generation progress'}
        aria-valuetext={`${pct}%`}
      />
      <p className="status-line" role="status" aria-live="polite">
        {line}
      </p>
    </div>
  );
}

function SparkIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path
        d="M12 2l1.8 5.6L19.5 9.5l-5.7 1.9L12 17l-1.8-5.6L4.5 9.5l5.7-1.9zM19 15l.9 2.6 2.6.9-2.6.9L19 22l-.9-2.6-2.6-.9 2.6-.9z"
        fill="currentColor"
      />
    </svg>
  );
}
