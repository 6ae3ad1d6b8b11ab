/**
 * HTTP plumbing shared by the Hub client, HTTP sources and downloads: one request with its status
 * mapped to a WeightsError that names the URL (and the Hub's X-Error-Code), bounded retries with
 * backoff for what is worth retrying, exact-length body reads, and header parsing.
 */
import { WeightsError, isAbortError, throwIfAborted } from './errors.ts';

export interface HttpOptions {
  /** Defaults to globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers, e.g. `Authorization: Bearer hf_...` for gated repos. */
  headers?: Record<string, string>;
  /** Tries per operation for 5xx/429 answers, network failures and cut bodies, the first included (default 5). */
  attempts?: number;
  /** First retry delay; doubles per retry up to 8 s (default 500 ms). */
  retryDelayMs?: number;
  signal?: AbortSignal;
}

export interface RequestSpec {
  method?: 'GET' | 'HEAD';
  /** Bytes [begin, end), or [begin, end of file) when end is omitted. */
  range?: { begin: number; end?: number };
  /** Statuses to hand back instead of throwing (e.g. 416 when probing an empty file). */
  allow?: number[];
}

/** One request. Non-2xx answers become WeightsErrors (their bodies are discarded); abort errors pass through. */
export async function httpRequest(url: string, init: RequestSpec, opts: HttpOptions = {}): Promise<Response> {
  throwIfAborted(opts.signal);
  const headers: Record<string, string> = { ...opts.headers };
  if (init.range) headers.Range = `bytes=${init.range.begin}-${init.range.end === undefined ? '' : init.range.end - 1}`;
  let res: Response;
  try {
    res = await (opts.fetch ?? globalThis.fetch)(url, { method: init.method ?? 'GET', headers, redirect: 'follow', signal: opts.signal });
  } catch (e) {
    if (isAbortError(e)) throw e;
    throw new WeightsError('network', `no network: could not reach ${url} (${describeCause(e)})`, { url, cause: e });
  }
  if (res.ok || init.allow?.includes(res.status)) return res;
  await discard(res);
  throw errorForStatus(res, url);
}

/** The error for a failed answer, saying what the Hub's X-Error-Code means. */
export function errorForStatus(res: Response, url: string): WeightsError {
  const hubError = res.headers.get('x-error-code') ?? undefined;
  const hubMessage = res.headers.get('x-error-message');
  const status = res.status;
  const details = { url, status, hubError };
  const why = hubMessage ? ` (${hubMessage})` : '';
  if (hubError === 'RepoNotFound') return new WeightsError('not-found', `repository not found: ${url} answered ${status} RepoNotFound; check the repo name, or pass a token if it is private${why}`, details);
  if (status === 401 || status === 403) {
    return new WeightsError('unauthorized', `${url} answered ${status}${hubError ? ` ${hubError}` : ''}: the repo is gated or private; accept its terms on the Hub and pass an access token${why}`, details);
  }
  if (status === 404) {
    if (hubError === 'RevisionNotFound') return new WeightsError('not-found', `revision not found: ${url} answered 404 RevisionNotFound${why}`, details);
    if (hubError === 'EntryNotFound') return new WeightsError('not-found', `file not found at this revision: ${url} answered 404 EntryNotFound${why}`, details);
    return new WeightsError('not-found', `not found: ${url} answered 404${hubError ? ` ${hubError}` : ''}${why}`, details);
  }
  return new WeightsError('http', `${url} answered ${status} ${res.statusText}${why}`.trimEnd(), details);
}

/** Whether another try may succeed: network trouble, a cut body, a server error or rate limiting. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof WeightsError)) return false;
  if (e.code === 'network' || e.code === 'truncated') return true;
  return e.code === 'http' && e.status !== undefined && (e.status >= 500 || e.status === 429);
}

/** Runs `op` until it succeeds, fails for good, or runs out of attempts; waits (abortably) between tries. */
export async function withRetries<T>(opts: HttpOptions, op: (attempt: number) => Promise<T>): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      if (attempt >= attempts || !isRetryable(e)) throw e;
      await sleep(backoffMs(opts, attempt), opts.signal);
    }
  }
}

export function backoffMs(opts: HttpOptions, attempt: number): number {
  return Math.min(8000, (opts.retryDelayMs ?? 500) * 2 ** (attempt - 1));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal!.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The body, which must be exactly `length` bytes. The buffer is sized by what the caller asked
 * for, never by the server's Content-Length, so a lying server cannot make it allocate more.
 */
export async function readExactBody(res: Response, length: number, url: string, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  for await (const piece of bodyPieces(res, url, signal)) {
    if (filled + piece.byteLength > length) {
      await discard(res);
      throw new WeightsError('http', `${url} sent more than the ${length} bytes asked for`, { url, status: res.status });
    }
    out.set(piece, filled);
    filled += piece.byteLength;
  }
  if (filled < length) throw new WeightsError('truncated', `${url}: body ended after ${filled} of ${length} bytes`, { url, status: res.status });
  return out;
}

/** A body of unknown length, refused past `max` bytes; checked against Content-Length when there is one. */
export async function readBodyUpTo(res: Response, max: number, url: string, signal?: AbortSignal): Promise<Uint8Array> {
  const declared = intHeader(res.headers, 'content-length');
  if (declared !== undefined && declared > max) {
    await discard(res);
    throw new WeightsError('unsupported', `${url} is ${declared} bytes, over the ${max}-byte limit`, { url, status: res.status });
  }
  const pieces: Uint8Array[] = [];
  let total = 0;
  for await (const piece of bodyPieces(res, url, signal)) {
    total += piece.byteLength;
    if (total > max) throw new WeightsError('unsupported', `${url} is over the ${max}-byte limit`, { url, status: res.status });
    pieces.push(piece);
  }
  if (declared !== undefined && total !== declared) throw new WeightsError('truncated', `${url}: body has ${total} bytes but Content-Length said ${declared}`, { url, status: res.status });
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** The body's pieces; a connection lost midway becomes a 'truncated' WeightsError (retryable). */
export async function* bodyPieces(res: Response, url: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let received = 0;
  let finished = false;
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        finished = true;
        if (isAbortError(e) || signal?.aborted) throw signal?.reason ?? e;
        throw new WeightsError('truncated', `${url}: connection lost after ${received} bytes of the body (${describeCause(e)})`, { url, status: res.status, cause: e });
      }
      if (r.done) { finished = true; return; }
      received += r.value.byteLength;
      yield r.value;
    }
  } finally {
    // A consumer that stops early must not leave the connection half-read.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Drops a body we will not read, so the connection can be reused or closed. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // Already broken or consumed: nothing to free.
  }
}

/** `bytes 0-99/1234` → {begin: 0, end: 100, size: 1234}; size is undefined for `*`. */
export function parseContentRange(h: string | null): { begin: number; end: number; size?: number } | undefined {
  const m = h ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(h.trim()) : null;
  if (!m) return undefined;
  const [begin, last] = [Number(m[1]), Number(m[2])];
  if (last < begin) return undefined;
  return { begin, end: last + 1, size: m[3] === '*' ? undefined : Number(m[3]) };
}

/** The total size from an unsatisfiable-range answer: `bytes * /1234`. */
export function parseUnsatisfiedRange(h: string | null): number | undefined {
  const m = h ? /^bytes \*\/(\d+)$/.exec(h.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

/** An ETag without `W/` and quotes; the Hub's X-Linked-Etag (the LFS sha256) wins over ETag. */
export function etagOf(headers: Headers): string | undefined {
  const raw = headers.get('x-linked-etag') ?? headers.get('etag');
  if (!raw) return undefined;
  return raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1') || undefined;
}

/** A header that must be a non-negative integer, or undefined. */
export function intHeader(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  return v !== null && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

function describeCause(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
}
