/**
 * Reading HTTP bodies under a watchdog: a body that delivers nothing for the idle timeout, or less
 * than the slowest accepted speed over that much waiting, is ended and reported as stalled (a
 * retryable 'timeout' naming the host), so a server that stops or trickles cannot hang a load.
 * Only time spent waiting for the network counts: a slow consumer never trips it.
 */
import { WeightsError, isAbortError } from './errors.ts';
import {
  DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MIN_BYTES_PER_SECOND, describeCause, discard, hostOf, intHeader, seconds,
  type HttpOptions, type HttpResponse,
} from './http.ts';

/** The body's pieces; a lost connection becomes 'truncated', a stall 'timeout' (both retryable). */
export async function* bodyPieces(r: HttpResponse, opts: HttpOptions = {}): AsyncGenerator<Uint8Array> {
  const { res } = r;
  if (!res.body) return;
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const minRate = opts.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  const host = hostOf(r.finalUrl);
  const stalled = (what: string) => new WeightsError('timeout', `${host} stalled: ${what} (${r.url})`, { url: r.url, status: res.status });
  const reader = res.body.getReader();
  let received = 0;
  // Waiting time and bytes since the last speed check.
  let waitedMs = 0;
  let windowBytes = 0;
  let finished = false;
  try {
    for (;;) {
      let piece: ReadableStreamReadResult<Uint8Array>;
      const t0 = performance.now();
      const timer = setTimeout(() => r.abort(stalled(`no data for ${seconds(idleMs)} after ${received} bytes of the body`)), idleMs);
      try {
        piece = await reader.read();
      } catch (e) {
        finished = true;
        if (opts.signal?.aborted) throw opts.signal.reason ?? e;
        if (r.abortReason) throw r.abortReason;
        if (isAbortError(e)) throw e;
        throw new WeightsError('truncated', `${r.url}: connection lost after ${received} bytes of the body (${describeCause(e)})`, { url: r.url, status: res.status, cause: e });
      } finally {
        clearTimeout(timer);
      }
      if (piece.done) { finished = true; return; }
      received += piece.value.byteLength;
      waitedMs += performance.now() - t0;
      windowBytes += piece.value.byteLength;
      if (waitedMs >= idleMs) {
        if (windowBytes < (minRate * waitedMs) / 1000) {
          const e = stalled(`only ${windowBytes} bytes in ${seconds(waitedMs)}, under ${minRate} bytes/s, after ${received} bytes of the body`);
          r.abort(e);
          finished = true;
          throw e;
        }
        waitedMs = 0;
        windowBytes = 0;
      }
      yield piece.value;
    }
  } finally {
    // A consumer that stops early must not leave the connection half-read.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * The body, which must be exactly `length` bytes. The buffer is sized by what the caller asked
 * for, never by the server's Content-Length, so a lying server cannot make it allocate more.
 */
export async function readExactBody(r: HttpResponse, length: number, opts: HttpOptions = {}): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  for await (const piece of bodyPieces(r, opts)) {
    if (filled + piece.byteLength > length) {
      await discard(r.res);
      throw new WeightsError('http', `${r.url} sent more than the ${length} bytes asked for`, { url: r.url, status: r.res.status });
    }
    out.set(piece, filled);
    filled += piece.byteLength;
  }
  if (filled < length) throw new WeightsError('truncated', `${r.url}: body ended after ${filled} of ${length} bytes`, { url: r.url, status: r.res.status });
  return out;
}

/** A body of unknown length, refused past `max` bytes; checked against Content-Length when there is one. */
export async function readBodyUpTo(r: HttpResponse, max: number, opts: HttpOptions = {}): Promise<Uint8Array> {
  const { res, url } = r;
  const declared = intHeader(res.headers, 'content-length');
  if (declared !== undefined && declared > max) {
    await discard(res);
    throw new WeightsError('unsupported', `${url} is ${declared} bytes, over the ${max}-byte limit`, { url, status: res.status });
  }
  const pieces: Uint8Array[] = [];
  let total = 0;
  for await (const piece of bodyPieces(r, opts)) {
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
