import { useStudio, useStudioStore } from '../context';

function advice(message: string): string | null {
  if (/out of memory|oom|allocation|too large|exceeds/i.test(message)) {
    return 'The GPU ran out of memory. Try the 256 px model, f16 precision, or close other tabs that use the GPU, then press Generate again.';
  }
  if (/device.*lost|lost.*device|context lost/i.test(message)) {
    return 'The GPU device was lost (a driver reset or the tab was in the background too long). Press Generate: DiT Studio restarts the GPU.';
  }
  if (/pick one of its/i.test(message)) {
    return 'Choose one of the classes this model knows in the class picker, then press Generate.';
  }
  if (/fetch|network|download|404|403|http/i.test(message)) {
    return 'Downloading the model failed. Check the Hub URL, repository and revision, and your connection, then press Generate again.';
  }
  return 'Press Generate to try again. Your settings and gallery are kept.';
}

/** The last run's error, visible until dismissed or until the next run starts. */
export function ErrorBanner() {
  const store = useStudioStore();
  const error = useStudio((s) => s.run.error);
  if (!error) return null;
  return (
    <div className="error-banner" data-testid="error" role="alert">
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
        <path d="M12 3l10 18H2z" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
        <path d="M12 10v5M12 18v.5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      </svg>
      <div className="error-text">
        <strong>Something went wrong:</strong> <span className="error-message">{error}</span>
        <p className="hint">{advice(error)}</p>
      </div>
      <button type="button" className="link-button" onClick={() => store.getState().clearError()} aria-label="Dismiss the error">
        Dismiss
      </button>
    </div>
  );
}
