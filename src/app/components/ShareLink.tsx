import { useId } from 'react';

/** A link that was shared, and whether it reached the clipboard. */
export interface Shared {
  link: string;
  copied: boolean;
}

/** Copies the link to the clipboard where the browser lets us; it is shown either way. */
export async function shareLink(link: string): Promise<Shared> {
  try {
    await navigator.clipboard.writeText(link);
    return { link, copied: true };
  } catch {
    return { link, copied: false }; // no clipboard (permission, insecure page): copy it by hand
  }
}

/** "Share": copies a link that makes the current picture again (disabled while there is none). */
export function ShareButton(props: { link: string | null; why: string; onShared(s: Shared): void }) {
  const { link } = props;
  return (
    <button
      type="button"
      className="secondary"
      data-testid="share"
      disabled={!link}
      title={link ? 'Copy a link that makes this picture again' : props.why}
      onClick={async () => {
        if (link) props.onShared(await shareLink(link));
      }}
    >
      <LinkIcon /> Share
    </button>
  );
}

/** The shared link, selectable, with whether it was copied. */
export function SharedLinkRow({ shared }: { shared: Shared }) {
  const id = useId();
  return (
    <div className="share-row">
      <label htmlFor={id}>Link to this picture</label>
      <input id={id} data-testid="share-link" type="text" readOnly value={shared.link} onFocus={(e) => e.target.select()} />
      <span className="hint" role="status">
        {shared.copied ? 'Copied to the clipboard.' : 'Copy the link from here.'}
      </span>
    </div>
  );
}

function LinkIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path
        d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
      />
    </svg>
  );
}
