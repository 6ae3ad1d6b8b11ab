import { useStudio } from '../context';

/**
 * What the weight loader told the user during the last load: a damaged cached file deleted and
 * downloaded again, a download that could not be verified. Not errors: the model still loads.
 */
export function WeightsNotices() {
  const notices = useStudio((s) => s.weightsNotices);
  if (!notices.length) return null;
  return (
    <div className="note" data-testid="weights-notice" role="status" aria-live="polite">
      {notices.map((n, i) => (
        <p key={i}>{n}</p>
      ))}
    </div>
  );
}
