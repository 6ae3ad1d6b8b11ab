/**
 * Getting a remote file ready to read, cache first: a cached entry is used without any request;
 * otherwise the file is downloaded into the store (resumable, verified) and read from there (kept
 * in memory when the store has no space left), or, with no store, streamed straight from the server.
 */
import type { WeightsStore } from './cache.ts';
import { openCachedWeights } from './cache-check.ts';
import { downloadToStore, ProgressMeter, type DownloadProgress } from './download.ts';
import { isAbortError, WeightsError } from './errors.ts';
import type { HttpOptions } from './http.ts';
import { httpSource, probeUrl, type RemoteFile } from './http-source.ts';
import { DEFAULT_HUB_URL, fetchHubBytes, findHubWeights, hubFileUrl, parseJson, weightCandidates, type HubLocation } from './hub.ts';
import { countingSource, type ByteSource } from './source.ts';
import { spillToMemory } from './spill.ts';

export interface RemoteLoadOptions extends HttpOptions {
  /** Where downloads are kept; without one, files are streamed and nothing is kept. */
  store?: WeightsStore;
  onProgress?: (p: DownloadProgress) => void;
  progressIntervalMs?: number;
  /** Bytes gathered before each store write (default 4 MiB). */
  writeChunkBytes?: number;
}

export interface HubModelOptions extends RemoteLoadOptions {
  /** Default https://huggingface.co */
  hub?: string;
  repo: string;
  /** One revision to use; default: `revisions` in order. */
  revision?: string;
  /** Revisions to try when no `revision` is given (default: main). */
  revisions?: string[];
}

export interface LoadedFile {
  source: ByteSource;
  /** The cache key (the resolve URL) and, for Hub files, where the file was found. */
  key: string;
  location?: HubLocation;
  fromCache: boolean;
  /** Set when the file could not be cached (a full disk): it is kept in memory (or streamed) instead. */
  cacheError?: WeightsError;
}

/** The cache key of a Hub file: its resolve URL, which names hub, repo, revision and path. */
export const cacheKey = (loc: HubLocation): string => hubFileUrl(loc);

/** The weights of a diffusers subfolder (`transformer`, `vae`), from the cache if any candidate is there. */
export async function loadHubWeights(opts: HubModelOptions, subfolder: string): Promise<LoadedFile> {
  const q = { hub: opts.hub ?? DEFAULT_HUB_URL, repo: opts.repo, revisions: opts.revision ? [opts.revision] : opts.revisions, subfolder };
  if (opts.store) {
    for (const loc of weightCandidates(q)) {
      const hit = await cachedFile(opts, cacheKey(loc), label(loc));
      if (hit === 'evicted') break; // fetched again, rather than a less preferred copy
      if (hit) return { ...hit, location: loc };
    }
  }
  const remote = await findHubWeights(q, opts);
  return { ...(await fetchFile(opts, cacheKey(remote.location), remote, label(remote.location))), location: remote.location };
}

/** A file at any URL (a model URL given by the user), cached under the URL. */
export async function loadUrlFile(url: string, opts: RemoteLoadOptions = {}): Promise<LoadedFile> {
  const hit = await cachedFile(opts, url, url);
  return hit && hit !== 'evicted' ? hit : fetchFile(opts, url, await probeUrl(url, opts), url);
}

/** A JSON file from the Hub (config.json), cached like the weights. */
export async function loadHubJson(opts: HubModelOptions, revision: string, path: string): Promise<unknown> {
  const loc: HubLocation = { hub: opts.hub ?? DEFAULT_HUB_URL, repo: opts.repo, revision, path };
  const key = cacheKey(loc);
  const evicted = (why: string) => opts.onNotice?.(`the cached copy of ${label(loc)} was deleted and is downloaded again: ${why}`);
  const hit = await opts.store?.open(key, evicted);
  if (hit) {
    try {
      return parseJson(await hit.source.read(0, hit.meta.size, opts.signal), key);
    } catch (e) {
      if (isAbortError(e)) throw e;
      await opts.store!.delete(key);
      evicted((e as Error).message);
    }
  }
  const { bytes, etag, url } = await fetchHubBytes(loc, opts);
  const json = parseJson(bytes, url);
  if (opts.store) await storeSmallFile(opts.store, key, url, bytes, etag).catch(() => {});
  return json;
}

const label = (loc: HubLocation) => `${loc.repo}/${loc.path}`;

/** A cached weights file that opens, or null; 'evicted' when a damaged copy was just deleted (cache-check.ts). */
async function cachedFile(opts: RemoteLoadOptions, key: string, name: string): Promise<LoadedFile | null | 'evicted'> {
  if (!opts.store) return null;
  const { entry: hit, evicted } = await openCachedWeights(opts.store, key, name, opts);
  if (!hit) return evicted ? 'evicted' : null;
  const size = hit.meta.size;
  opts.onProgress?.({ file: name, loadedBytes: size, totalBytes: size, bytesPerSecond: 0, etaSeconds: 0, fromCache: true });
  return { source: hit.source, key, fromCache: true };
}

async function fetchFile(opts: RemoteLoadOptions, key: string, remote: RemoteFile, name: string): Promise<LoadedFile> {
  let cacheError: WeightsError | undefined;
  if (opts.store) {
    // A store too small for the file keeps the download in memory instead (spill.ts).
    const store = spillToMemory(opts.store, (why) => { cacheError = why; });
    try {
      const cached = await downloadToStore({ ...opts, store, key, remote, label: name });
      return { source: cached.source, key, fromCache: false, cacheError };
    } catch (e) {
      if (!(e instanceof WeightsError && e.code === 'quota')) throw e;
      cacheError = e;
    }
  }
  // Streamed: progress follows the bytes the reader pulls.
  const meter = new ProgressMeter(name, remote.size, 0, opts.onProgress, opts.progressIntervalMs ?? 250);
  const source = countingSource(httpSource(remote, opts), (n) => meter.add(n));
  return { source, key, fromCache: false, cacheError };
}

async function storeSmallFile(store: WeightsStore, key: string, url: string, bytes: Uint8Array, etag?: string): Promise<void> {
  const partial = await store.openPartial(key, { size: bytes.byteLength, etag });
  try {
    await partial.truncate();
    await partial.append(bytes);
    await partial.commit({ key, url, size: bytes.byteLength, etag, storedAt: new Date().toISOString() });
  } catch (e) {
    await partial.discard();
    throw e;
  }
}
