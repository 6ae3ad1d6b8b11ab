/**
 * Whether a cached weights file can be used. The store checks its record and size (and, where it
 * can tell the data changed since it was verified, its sha256); then the file must open as
 * weights. One that does not is hashed against the sha256 it was verified with: no match (or no
 * sha256) means the cached copy was damaged, so it is deleted and the caller downloads it again;
 * a match means the file itself is bad, and that error stands (downloading it again would not help).
 */
import { sha256Of, type CachedFile, type WeightsStore } from './cache.ts';
import { WeightsError } from './errors.ts';
import { openWeights } from './open-weights.ts';

export interface CachedWeights {
  /** The entry, when it can be used. */
  entry: CachedFile | null;
  /** Whether a damaged entry was deleted (the caller should fetch it again, once). */
  evicted: boolean;
}

export async function openCachedWeights(
  store: WeightsStore, key: string, name: string, opts: { signal?: AbortSignal; onNotice?: (message: string) => void },
): Promise<CachedWeights> {
  let evicted = false;
  const evict = (why: string) => {
    evicted = true;
    opts.onNotice?.(`the cached copy of ${name} was deleted and is downloaded again: ${why}`);
  };
  const entry = await store.open(key, evict);
  if (!entry) return { entry, evicted };
  try {
    await openWeights(entry.source, { signal: opts.signal });
    return { entry, evicted };
  } catch (e) {
    if (!(e instanceof WeightsError)) throw e;
    if (entry.meta.sha256 && (await sha256Of(entry.source, opts.signal)) === entry.meta.sha256) {
      throw new WeightsError(e.code, `${e.message} (the cached copy matches the sha256 it was downloaded with, so the file itself is damaged)`, { url: entry.meta.url, cause: e });
    }
    await store.delete(key);
    evict(`it could not be read as weights (${e.message})`);
    return { entry: null, evicted };
  }
}
