/**
 * Downloads a remote file into a WeightsStore: resumes a partial download with `Range: bytes=N-`
 * (restarting when the server does not answer with the matching 206), retries dropped and stalled
 * connections (a bounded number of times), checks the size and the sha256 from the file's source
 * of truth (RemoteFile.sha256), and only then commits the entry. A download whose sha256 is wrong
 * is deleted and fetched once more from scratch; a file whose sha256 is unknown is stored without
 * one, never as verified. Reports progress as it goes.
 */
import type { CachedFile, PartialFile, WeightsStore } from './cache.ts';
import { isAbortError, WeightsError } from './errors.ts';
import { bodyPieces } from './http-body.ts';
import { backoffMs, discard, gaveUp, httpRequest, intHeader, isRetryable, parseContentRange, sleep, type HttpOptions } from './http.ts';
import type { RemoteFile } from './http-source.ts';
import { Sha256 } from './sha256.ts';

export interface DownloadProgress {
  /** What is being loaded (a path or URL). */
  file: string;
  loadedBytes: number;
  totalBytes: number;
  /** Recent speed; 0 before anything arrived and for cache hits. */
  bytesPerSecond: number;
  /** Seconds left at that speed; Infinity while the speed is unknown, 0 when done. */
  etaSeconds: number;
  fromCache: boolean;
}

export interface DownloadOptions extends HttpOptions {
  store: WeightsStore;
  key: string;
  remote: RemoteFile;
  /** `file` in progress events (default: the URL). */
  label?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Least time between progress events; the first and last are always sent (default 250 ms). */
  progressIntervalMs?: number;
  /** Bytes gathered before each store write (default 4 MiB). */
  writeChunkBytes?: number;
}

/** Read-back size when re-hashing a partial file before resuming it. */
const REHASH_CHUNK_BYTES = 16 * 1024 * 1024;
/** A try that brought at least this much restarts the count of tries in a row that failed. */
const USEFUL_PROGRESS_BYTES = 1024 * 1024;
/** Default tries per download in all (HttpOptions.maxTries). */
const DEFAULT_MAX_TRIES = 50;

export async function downloadToStore(opts: DownloadOptions): Promise<CachedFile> {
  const { store, key, remote } = opts;
  const { url, size } = remote;
  const name = opts.label ?? url;
  const partial = await store.openPartial(key, { size, etag: remote.etag });
  const progress = new ProgressMeter(name, size, partial.size, opts.onProgress, opts.progressIntervalMs ?? 250);
  const wantSha = remote.sha256?.toLowerCase();
  let keepPartial = true;
  try {
    let hasher = wantSha ? await hashOf(partial) : undefined;
    const restart = async () => {
      await partial.truncate();
      hasher = wantSha ? await Sha256.create() : undefined;
      progress.reset();
    };
    let mismatches = 0;
    for (;;) {
      await fetchAll(opts, partial, () => hasher, restart, progress);
      const sha256 = hasher?.hex();
      if (!wantSha || sha256 === wantSha) {
        const cached = await partial.commit({ key, url, size, etag: remote.etag, sha256, storedAt: new Date().toISOString() });
        progress.finish();
        return cached;
      }
      // Corrupt bytes (a bad proxy or CDN node, a damaged partial): never kept, fetched afresh once.
      if (++mismatches === 2) {
        keepPartial = false;
        throw new WeightsError('checksum', `${name}: the download's sha256 is ${sha256} but the Hub says ${wantSha}, twice in a row (${url}); nothing was cached: something between here and the Hub is damaging it`, { url });
      }
      opts.onNotice?.(`${name}: the download's sha256 is ${sha256} but the Hub says ${wantSha}; it was deleted and is downloaded again`);
      await restart();
    }
  } catch (e) {
    if (e instanceof WeightsError && e.code === 'quota') keepPartial = false;
    throw e;
  } finally {
    await (keepPartial ? partial.close() : partial.discard()).catch(() => {});
  }
}

/**
 * Fills the partial to the file's size, resuming after each failure that may pass, until a try
 * fails `attempts` times in a row without bringing USEFUL_PROGRESS_BYTES, or `maxTries` tries in all.
 * An empty file still takes one request, to prove it exists; a partial that is already complete
 * (a crash before commit) takes none.
 */
async function fetchAll(opts: DownloadOptions, partial: PartialFile, hasher: () => Sha256 | undefined, restart: () => Promise<void>, progress: ProgressMeter): Promise<void> {
  const { url, size } = opts.remote;
  const attempts = Math.max(1, opts.attempts ?? 5);
  const maxTries = Math.max(1, opts.maxTries ?? DEFAULT_MAX_TRIES);
  let fetchedOnce = size > 0;
  let failures = 0;
  for (let tries = 1; partial.size < size || !fetchedOnce; tries++) {
    const before = partial.size;
    try {
      await fetchRest(opts, partial, hasher, restart, progress);
      fetchedOnce = true;
    } catch (e) {
      if (isAbortError(e) || !isRetryable(e)) throw e;
      failures = partial.size - before >= USEFUL_PROGRESS_BYTES ? 1 : failures + 1;
      if (failures >= attempts || tries >= maxTries) {
        const kept = partial.size > 0 ? ` (${partial.size} of ${size} bytes are kept, to resume from)` : '';
        throw attempts > 1 || maxTries > 1 ? gaveUp(e as WeightsError, tries, kept) : e;
      }
      await sleep(backoffMs(opts, failures), opts.signal);
    }
  }
  if (partial.size !== size) throw new WeightsError('truncated', `${url}: downloaded ${partial.size} bytes, expected ${size}`, { url });
}

/** The sha256 state after the bytes a partial already holds. */
async function hashOf(partial: PartialFile): Promise<Sha256> {
  const h = await Sha256.create();
  for (let at = 0; at < partial.size; at += REHASH_CHUNK_BYTES) h.update(await partial.read(at, Math.min(partial.size, at + REHASH_CHUNK_BYTES)));
  return h;
}

/** One request for the rest of the file, appended to the partial. */
async function fetchRest(opts: DownloadOptions, partial: PartialFile, hasher: () => Sha256 | undefined, restart: () => Promise<void>, progress: ProgressMeter): Promise<void> {
  const { url, size } = opts.remote;
  let from = partial.size;
  const r = await httpRequest(url, from > 0 ? { range: { begin: from } } : {}, opts);
  const { res } = r;
  if (from > 0) {
    const cr = parseContentRange(res.headers.get('content-range'));
    const matches = res.status === 206 && cr !== undefined && cr.begin === from && cr.end === size && (cr.size === undefined || cr.size === size);
    if (!matches) {
      // Not the bytes we asked for: start over. A 200 is the whole file, so use it; anything else is asked again.
      await restart();
      from = 0;
      if (res.status !== 200) {
        await discard(res);
        throw new WeightsError('truncated', `${url} answered ${res.status} ${res.headers.get('content-range') ?? ''} to a resume from byte ${partial.size}; restarting`, { url });
      }
    }
  }
  const declared = intHeader(res.headers, 'content-length');
  if (declared !== undefined && declared > size - from) {
    await discard(res);
    throw new WeightsError('http', `${url}: Content-Length ${declared} does not match the expected ${size - from} bytes from byte ${from}`, { url, status: res.status });
  }
  const chunk = Math.max(1, opts.writeChunkBytes ?? 4 * 1024 * 1024);
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const buf = pending.length === 1 ? pending[0] : concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await partial.append(buf);
    hasher()?.update(buf);
    progress.add(buf.byteLength);
  };
  let received = from;
  try {
    for await (const piece of bodyPieces(r, opts)) {
      if (received + piece.byteLength > size) {
        pending = [];
        pendingBytes = 0;
        await restart();
        throw new WeightsError('http', `${url} sent more than the expected ${size} bytes`, { url, status: res.status });
      }
      received += piece.byteLength;
      pending.push(piece);
      pendingBytes += piece.byteLength;
      if (pendingBytes >= chunk) await flush();
    }
  } finally {
    // Bytes that arrived before a dropped connection are good: keep them for the resume.
    if (received <= size && pendingBytes > 0) await flush();
  }
  if (received < size) throw new WeightsError('truncated', `${url}: body ended at byte ${received} of ${size}`, { url, status: res.status });
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** Progress events, throttled, with a speed measured over the last few seconds. */
export class ProgressMeter {
  private loaded: number;
  private lastEmit = -Infinity;
  private samples: Array<[number, number]> = [];

  constructor(
    private readonly file: string,
    private readonly total: number,
    start: number,
    private readonly onProgress: ((p: DownloadProgress) => void) | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.loaded = start;
    this.samples.push([this.now(), start]);
    this.emit(true);
  }

  add(bytes: number): void {
    this.loaded += bytes;
    this.emit(false);
  }

  reset(): void {
    this.loaded = 0;
    this.samples = [[this.now(), 0]];
  }

  finish(): void {
    this.loaded = this.total;
    this.emit(true);
  }

  private emit(force: boolean): void {
    if (!this.onProgress) return;
    const t = this.now();
    this.samples.push([t, this.loaded]);
    while (this.samples.length > 2 && t - this.samples[1][0] > 5000) this.samples.shift();
    if (!force && t - this.lastEmit < this.intervalMs) return;
    this.lastEmit = t;
    const [t0, b0] = this.samples[0];
    const bytesPerSecond = t > t0 ? Math.max(0, ((this.loaded - b0) * 1000) / (t - t0)) : 0;
    const left = this.total - this.loaded;
    this.onProgress({
      file: this.file,
      loadedBytes: this.loaded,
      totalBytes: this.total,
      bytesPerSecond,
      etaSeconds: left <= 0 ? 0 : bytesPerSecond > 0 ? left / bytesPerSecond : Infinity,
      fromCache: false,
    });
  }
}
