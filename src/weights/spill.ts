/**
 * A store that is too small for a download (a browser storage quota, a full disk) must cost the
 * cache, not the download: `spillToMemory(store)` writes partials to `store` until it refuses
 * with WeightsError('quota'), then reads back what it holds, deletes it (freeing the space) and
 * keeps the whole file in a Blob instead; the commit then returns that Blob, uncached. Without it
 * the bytes written so far were thrown away and fetched again.
 */
import { isQuotaError, type CachedFile, type PartialFile, type RemoteVersion, type WeightsStore } from './cache.ts';
import { WeightsError } from './errors.ts';
import { blobSource } from './source.ts';

/** Read-back size when moving a partial into memory. */
const READ_BACK_BYTES = 16 * 1024 * 1024;

/** `store`, whose partials continue in memory when it is full; `onSpill` hears why, once per file. */
export function spillToMemory(store: WeightsStore, onSpill: (why: WeightsError) => void): WeightsStore {
  return {
    name: store.name,
    open: (...args) => store.open(...args),
    delete: (key) => store.delete(key),
    clear: () => store.clear(),
    async openPartial(key: string, version: RemoteVersion): Promise<PartialFile> {
      try {
        return spillingPartial(await store.openPartial(key, version), key, onSpill);
      } catch (e) {
        if (!isQuotaError(e)) throw e;
        onSpill(asQuota(e, key));
        return spillingPartial(null, key, onSpill);
      }
    },
  };
}

function asQuota(e: unknown, key: string): WeightsError {
  return e instanceof WeightsError ? e : new WeightsError('quota', `no space left to cache ${key}`, { cause: e });
}

function spillingPartial(stored: PartialFile | null, key: string, onSpill: (why: WeightsError) => void): PartialFile {
  let inner = stored;
  /** The bytes once spilled: a Blob lives in the browser's blob storage, not the JS heap. */
  let memory = new Blob([]);

  /** Moves the stored bytes into memory and deletes them from the store. */
  async function spill(why: WeightsError): Promise<void> {
    const from = inner!;
    inner = null;
    onSpill(why);
    const parts: Uint8Array[] = [];
    try {
      for (let at = 0; at < from.size; at += READ_BACK_BYTES) parts.push(await from.read(at, Math.min(from.size, at + READ_BACK_BYTES)));
    } finally {
      await from.discard().catch(() => {});
    }
    memory = new Blob(parts as BlobPart[]);
  }

  return {
    get size() { return inner ? inner.size : memory.size; },
    async read(begin, end) {
      if (inner) return inner.read(begin, end);
      return new Uint8Array(await memory.slice(begin, end).arrayBuffer());
    },
    async append(bytes) {
      if (inner) {
        const before = inner.size;
        try {
          return await inner.append(bytes);
        } catch (e) {
          if (!isQuotaError(e)) throw e;
          // A store may have taken the start of these bytes before it ran out (a short write).
          const taken = Math.min(Math.max(0, inner.size - before), bytes.byteLength);
          await spill(asQuota(e, key));
          bytes = bytes.subarray(taken);
        }
      }
      memory = new Blob([memory, bytes.slice() as BlobPart]);
    },
    async truncate() {
      if (inner) await inner.truncate();
      memory = new Blob([]);
    },
    async commit(meta): Promise<CachedFile> {
      if (inner) return inner.commit(meta);
      const source = blobSource(memory, `memory:${key}`);
      return { meta, source: { name: source.name, size: source.size, etag: meta.etag, read: source.read } };
    },
    async discard() {
      await inner?.discard();
      memory = new Blob([]);
    },
    async close() {
      await inner?.close();
    },
  };
}
