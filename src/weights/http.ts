/**
 * HTTP plumbing shared by the Hub client, HTTP sources and downloads: one request, with redirects
 * followed here (so the Hub's own answer, with its X-Linked-Etag, is seen before its CDN's, and a
 * redirect loop is called one), a time limit on the answer, failures mapped to WeightsErrors that
 * name the host and what happened, bounded retries with backoff, and header parsing. Bodies are
 * read by http-body.ts, which times out stalled ones.
 */
import { WeightsError, isAbortError, throwIfAborted } from './errors.ts';

/** Default time for a server to answer a request with its status and headers. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Default time a body may deliver nothing before the connection counts as stalled. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Default slowest body accepted, averaged over each idle-timeout's worth of waiting: a trickle is a stall. */
export const DEFAULT_MIN_BYTES_PER_SECOND = 1024;
/** Default redirects followed per request (the Hub uses one, to its CDN). */
export const DEFAULT_MAX_REDIRECTS = 10;

export interface HttpOptions {
  /** Defaults to globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers, e.g. `Authorization: Bearer hf_...` for gated repos (never sent on to another host). */
  headers?: Record<string, string>;
  /** Tries per operation for 5xx/429 answers, network failures, timeouts and cut bodies, the first included (default 5). */
  attempts?: number;
  /** Tries per download in all, however much each one brought (default 50). */
  maxTries?: number;
  /** First retry delay; doubles per retry up to 8 s (default 500 ms). */
  retryDelayMs?: number;
  /** Time for a server to answer with its status and headers (default 30 s). */
  connectTimeoutMs?: number;
  /** Time a body may deliver nothing before it counts as stalled (default 60 s). */
  idleTimeoutMs?: number;
  /** A body slower than this over an idle-timeout's worth of waiting counts as stalled (default 1024 bytes/s). */
  minBytesPerSecond?: number;
  /** Redirects followed per request (default 10). */
  maxRedirects?: number;
  /** Hears what the user should be told but is not an error: a corrupt download fetched again, a file that cannot be verified. */
  onNotice?: (message: string) => void;
  signal?: AbortSignal;
}

export interface RequestSpec {
  method?: 'GET' | 'HEAD' | 'POST';
  /** Bytes [begin, end), or [begin, end of file) when end is omitted. */
  range?: { begin: number; end?: number };
  /** Statuses to hand back instead of throwing (e.g. 416 when probing an empty file). */
  allow?: number[];
  headers?: Record<string, string>;
  body?: string;
}

/** One request's answer, after the redirects. */
export interface HttpResponse {
  /** The last answer. */
  res: Response;
  /** The URL asked for. */
  url: string;
  /** The URL that gave the last answer. */
  finalUrl: string;
  /** Whether a redirect was followed. */
  redirected: boolean;
  /**
   * X-Linked-Etag (unquoted) and X-Linked-Size from the answer to `url` itself: for a Hub LFS file,
   * the Hub's own sha256 and size, which its redirect to the CDN carries. Empty where the runtime
   * follows redirects out of sight (browsers) and the answer came from elsewhere.
   */
  linked: { etag?: string; size?: number };
  /** True where the runtime follows redirects itself and hides them (browsers). */
  redirectsHidden: boolean;
  /** Ends the request: the body's reader then fails with `reason`. */
  abort(reason: WeightsError): void;
  /** The reason given to abort(), if it was called. */
  readonly abortReason: WeightsError | undefined;
}

/**
 * Fetch implementations that answer `redirect: 'manual'` with an opaque redirect (browsers): their
 * redirects cannot be followed here, so they are left to fetch from then on.
 */
const hidesRedirects = new WeakMap<typeof globalThis.fetch, boolean>();

/** One request, redirects followed. Non-2xx answers become WeightsErrors (their bodies are discarded); abort errors pass through. */
export async function httpRequest(url: string, spec: RequestSpec, opts: HttpOptions = {}): Promise<HttpResponse> {
  throwIfAborted(opts.signal);
  const doFetch = opts.fetch ?? globalThis.fetch;
  let headers: Record<string, string> = { ...opts.headers, ...spec.headers };
  if (spec.range) headers.Range = `bytes=${spec.range.begin}-${spec.range.end === undefined ? '' : spec.range.end - 1}`;
  const manual = !hidesRedirects.get(doFetch);
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const visited = [url];
  let linked: HttpResponse['linked'] | undefined;
  for (;;) {
    const current = visited[visited.length - 1];
    const sent = await send(doFetch, current, { method: spec.method ?? 'GET', headers, body: spec.body, redirect: manual ? 'manual' : 'follow' }, opts);
    const { res } = sent;
    if (res.type === 'opaqueredirect') {
      hidesRedirects.set(doFetch, true);
      return httpRequest(url, spec, opts);
    }
    linked ??= manual || !res.redirected ? linkedHeaders(res.headers) : {};
    const location = manual && res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (location !== null) {
      await discard(res);
      const next = new URL(location, current).href;
      if (visited.includes(next)) {
        throw new WeightsError('redirect', `redirect loop at ${hostOf(current)}: ${current} redirects back to ${next} (${url})`, { url, status: res.status });
      }
      if (visited.length > maxRedirects) throw new WeightsError('redirect', `more than ${maxRedirects} redirects from ${url}, the last at ${hostOf(current)}`, { url, status: res.status });
      // As fetch does: credentials for one host are never sent on to another.
      if (new URL(next).origin !== new URL(current).origin) headers = withoutAuthorization(headers);
      visited.push(next);
      continue;
    }
    const finalUrl = manual ? current : res.url || current;
    const out: HttpResponse = {
      res, url, finalUrl, linked, redirectsHidden: !manual,
      redirected: visited.length > 1 || res.redirected,
      abort: (reason) => sent.controller.abort(reason),
      get abortReason() { return abortReasonOf(sent.controller.signal); },
    };
    if (res.ok || spec.allow?.includes(res.status)) return out;
    await discard(res);
    throw errorForStatus(res, finalUrl);
  }
}

/** One fetch, with the answer's time limit; its controller stays with the response, so timeouts on the body can end it. */
async function send(doFetch: typeof globalThis.fetch, url: string, init: RequestInit, opts: HttpOptions): Promise<{ res: Response; controller: AbortController }> {
  const controller = new AbortController();
  const signal = opts.signal ? anySignal(opts.signal, controller.signal) : controller.signal;
  const ms = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const timer = setTimeout(() => controller.abort(new WeightsError('timeout', `${hostOf(url)} did not answer within ${seconds(ms)} (${url})`, { url })), ms);
  try {
    return { res: await doFetch(url, { ...init, signal }), controller };
  } catch (e) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    const reason = abortReasonOf(controller.signal);
    if (reason) throw reason;
    if (isAbortError(e)) throw e;
    throw networkError(e, url);
  } finally {
    clearTimeout(timer);
  }
}

function abortReasonOf(signal: AbortSignal): WeightsError | undefined {
  return signal.aborted && signal.reason instanceof WeightsError ? signal.reason : undefined;
}

function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  // Older runtimes: forward the caller's abort by hand.
  const c = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) c.abort(s.reason);
    else s.addEventListener('abort', () => c.abort(s.reason), { once: true });
  }
  return c.signal;
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

function linkedHeaders(h: Headers): HttpResponse['linked'] {
  return { etag: unquote(h.get('x-linked-etag')), size: intHeader(h, 'x-linked-size') };
}

/** `huggingface.co`, `127.0.0.1:8080`: who answered, for messages. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export const seconds = (ms: number): string => `${+(ms / 1000).toFixed(3)} s`;

/** A failed fetch, saying what went wrong where Node tells (refused, unknown host, reset, timed out). */
export function networkError(e: unknown, url: string): WeightsError {
  const host = hostOf(url);
  const code = errorCode(e);
  const details = { url, cause: e };
  switch (code) {
    case 'ECONNREFUSED':
      return new WeightsError('network', `${host} refused the connection (${url}): is the server running, and is the address right?`, details);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new WeightsError('network', `could not resolve ${new URL(url).hostname} (${url}): no network, or a wrong host name`, details);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return new WeightsError('network', `${host} closed the connection before answering (${url})`, details);
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new WeightsError('timeout', `${host} did not accept the connection in time (${url})`, details);
    default:
      return new WeightsError('network', `no network: could not reach ${host} (${url}: ${describeCause(e)})`, details);
  }
}

/** Node's error code (ECONNREFUSED...), from the error or its causes. */
function errorCode(e: unknown): string | undefined {
  for (let x = e, depth = 0; x && typeof x === 'object' && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const c = (x as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    const errors = (x as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length) return errorCode(errors[0]);
  }
  return undefined;
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
  if (status >= 300 && status < 400) return new WeightsError('redirect', `${url} answered ${status} without a Location to follow`, details);
  return new WeightsError('http', `${url} answered ${status} ${res.statusText}${why}`.trimEnd(), details);
}

/** Whether another try may succeed: network trouble, a timeout or stall, a cut body, a server error or rate limiting. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof WeightsError)) return false;
  if (e.code === 'network' || e.code === 'truncated' || e.code === 'timeout') return true;
  return e.code === 'http' && e.status !== undefined && (e.status >= 500 || e.status === 429);
}

/** Runs `op` until it succeeds, fails for good, or runs out of attempts; waits (abortably) between tries. */
export async function withRetries<T>(opts: HttpOptions, op: (attempt: number) => Promise<T>): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      if (!isRetryable(e)) throw e;
      if (attempt >= attempts) throw attempts > 1 ? gaveUp(e as WeightsError, attempt) : e;
      await sleep(backoffMs(opts, attempt), opts.signal);
    }
  }
}

/** The last failure, saying it was the last of `tries`. */
export function gaveUp(e: WeightsError, tries: number, more = ''): WeightsError {
  return new WeightsError(e.code, `${e.message}; gave up after ${tries} tries${more}`, { url: e.url, status: e.status, hubError: e.hubError, cause: e.cause });
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

/** An answer's ETag, without `W/` and quotes. */
export function etagOf(headers: Headers): string | undefined {
  return unquote(headers.get('etag'));
}

function unquote(raw: string | null): string | undefined {
  return raw?.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1') || undefined;
}

/**
 * Which version of a file an answer is, to notice a file that changes between reads: the Hub's
 * X-Linked-Etag where it is seen, else the last answer's ETag.
 */
export function versionOf(r: HttpResponse): string | undefined {
  return r.linked.etag ?? etagOf(r.res.headers);
}

/** A header that must be a non-negative integer, or undefined. */
export function intHeader(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  return v !== null && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

export function describeCause(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
}
