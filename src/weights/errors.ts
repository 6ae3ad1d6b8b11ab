/** Why a weights file or tensor was refused; `code` lets callers and tests tell the cases apart. */
export type WeightsErrorCode =
  | 'truncated' | 'bad-header' | 'bad-dtype' | 'missing-tensor' | 'bad-shape' | 'unknown-layout'
  | 'bad-archive' | 'bad-pickle' | 'unsupported' | 'http' | 'network' | 'quota' | 'checksum'
  /** 404: the Hub repo, revision or file does not exist (see `hubError`). */
  | 'not-found'
  /** 401/403: gated or private repo, or a bad token. */
  | 'unauthorized'
  /** A config file that is not the JSON it should be. */
  | 'bad-json'
  /** A server that did not answer in time, or whose body stalled or trickled (retryable). */
  | 'timeout'
  /** A redirect loop, or more redirects than a request may follow. */
  | 'redirect';

export interface WeightsErrorDetails {
  /** The URL that failed, for HTTP errors. */
  url?: string;
  /** HTTP status, when there was a response. */
  status?: number;
  /** The Hub's `X-Error-Code` header (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`, `GatedRepo`...). */
  hubError?: string;
  cause?: unknown;
}

export class WeightsError extends Error {
  readonly url?: string;
  readonly status?: number;
  readonly hubError?: string;

  constructor(readonly code: WeightsErrorCode, message: string, details: WeightsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'WeightsError';
    this.url = details.url;
    this.status = details.status;
    this.hubError = details.hubError;
  }
}

/** True for the error a fetch or a read throws when its AbortSignal fires. */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/** Throws the signal's reason (an AbortError unless the caller chose another) if it has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** Prefixes a WeightsError's message with the file it came from (once); other errors pass through. */
export function inFile(e: unknown, name: string): unknown {
  if (!(e instanceof WeightsError) || e.message.startsWith(name)) return e;
  return new WeightsError(e.code, `${name}: ${e.message}`, { url: e.url, status: e.status, hubError: e.hubError, cause: e.cause });
}
