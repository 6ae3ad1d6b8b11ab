/**
 * WeightsStore on IndexedDB, the fallback where OPFS sync access handles are missing (a page's
 * main thread, older browsers). Bytes are kept as one record per append under a generation id;
 * an entry or partial lists its pieces, so commit is a pointer swap, not a copy, and a partial
 * keeps every appended piece for resuming.
 */
import { parseMeta, sameVersion, storageError, type CachedFile, type CacheMeta, type PartialFile, type RemoteVersion, type WeightsStore } from './cache.ts';
import { WeightsError, throwIfAborted } from './errors.ts';
import { checkReadRange, type ByteSource } from './source.ts';

export const IDB_NAME = 'dit-studio-cache';

/** Byte ranges [offset, length] of consecutive pieces, stored as chunks [gen, index]. */
interface Stored {
  gen: string;
  pieces: Array<[number, number]>;
}
interface EntryRecord extends Stored { meta: CacheMeta }
interface PartialRecord extends Stored { version: RemoteVersion; size: number }

const STORES = ['entries', 'partials', 'chunks'] as const;

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

export async function openIdbStore(name = IDB_NAME): Promise<IdbStore> {
  if (typeof indexedDB === 'undefined') throw new WeightsError('unsupported', 'IndexedDB is not available here');
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    for (const s of STORES) if (!open.result.objectStoreNames.contains(s)) open.result.createObjectStore(s);
  };
  return new IdbStore(await request(open));
}

const newGen = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
const chunkRange = (gen: string) => IDBKeyRange.bound([gen, 0], [gen, Number.MAX_SAFE_INTEGER]);

export class IdbStore implements WeightsStore {
  readonly name: string;

  constructor(private readonly db: IDBDatabase) {
    this.name = `indexeddb:${db.name}`;
  }

  private async get<T>(store: (typeof STORES)[number], key: IDBValidKey): Promise<T | undefined> {
    return request(this.db.transaction(store).objectStore(store).get(key)) as Promise<T | undefined>;
  }

  /** Runs `fn` in one read-write transaction over all stores; quota errors become WeightsError('quota'). */
  private async write(what: string, fn: (s: Record<(typeof STORES)[number], IDBObjectStore>) => void): Promise<void> {
    try {
      const tx = this.db.transaction([...STORES], 'readwrite');
      fn({ entries: tx.objectStore('entries'), partials: tx.objectStore('partials'), chunks: tx.objectStore('chunks') });
      await done(tx);
    } catch (e) {
      throw storageError(e, what);
    }
  }

  /** Bytes [begin, end) of pieces stored under `gen`. */
  private async readPieces(s: Stored, begin: number, end: number): Promise<Uint8Array> {
    const out = new Uint8Array(end - begin);
    const store = this.db.transaction('chunks').objectStore('chunks');
    const reads: Promise<void>[] = [];
    s.pieces.forEach(([off, len], i) => {
      if (off + len <= begin || off >= end) return;
      reads.push(request(store.get([s.gen, i])).then((chunk: unknown) => {
        if (!(chunk instanceof Uint8Array) || chunk.byteLength !== len) throw new WeightsError('truncated', `${this.name}: a stored piece is missing or damaged`);
        const from = Math.max(begin, off);
        const to = Math.min(end, off + len);
        out.set(chunk.subarray(from - off, to - off), from - begin);
      }));
    });
    await Promise.all(reads);
    return out;
  }

  async open(key: string, onEvict?: (why: string) => void): Promise<CachedFile | null> {
    const rec = await this.get<EntryRecord>('entries', key);
    if (!rec) return null;
    const meta = parseMeta(rec.meta, key);
    const total = Array.isArray(rec.pieces) ? rec.pieces.reduce((n, [, len]) => n + len, 0) : -1;
    if (!meta || total !== meta.size) {
      await this.delete(key);
      onEvict?.(meta ? `its data is ${total} bytes but its record says ${meta.size}` : 'its record is damaged');
      return null;
    }
    const source: ByteSource = {
      name: `${this.name}/${key}`,
      size: meta.size,
      etag: meta.etag,
      read: async (begin, end, signal) => {
        throwIfAborted(signal);
        checkReadRange(source, begin, end);
        return this.readPieces(rec, begin, end);
      },
    };
    return { meta, source };
  }

  async openPartial(key: string, version: RemoteVersion): Promise<PartialFile> {
    let p = await this.get<PartialRecord>('partials', key);
    if (!p || !sameVersion(p.version, version) || p.size > version.size) {
      const old = p;
      p = { version: { size: version.size, etag: version.etag }, gen: newGen(), pieces: [], size: 0 };
      const fresh = p;
      await this.write(key, (s) => {
        if (old) s.chunks.delete(chunkRange(old.gen));
        s.partials.put(fresh, key);
      });
    }
    const part = p;
    return {
      get size() { return part.size; },
      read: (begin, end) => {
        checkReadRange({ name: `${this.name}/${key}.partial`, size: part.size }, begin, end);
        return this.readPieces(part, begin, end);
      },
      append: async (bytes) => {
        if (bytes.byteLength === 0) return;
        const next: PartialRecord = { ...part, pieces: [...part.pieces, [part.size, bytes.byteLength]], size: part.size + bytes.byteLength };
        await this.write(key, (s) => {
          s.chunks.put(bytes.slice(), [part.gen, part.pieces.length]);
          s.partials.put(next, key);
        });
        part.pieces = next.pieces;
        part.size = next.size;
      },
      truncate: async () => {
        await this.write(key, (s) => {
          s.chunks.delete(chunkRange(part.gen));
          s.partials.put({ ...part, pieces: [], size: 0 }, key);
        });
        part.pieces = [];
        part.size = 0;
      },
      commit: async (meta) => {
        const old = await this.get<EntryRecord>('entries', key);
        const rec: EntryRecord = { meta, gen: part.gen, pieces: part.pieces };
        await this.write(key, (s) => {
          if (old && old.gen !== part.gen) s.chunks.delete(chunkRange(old.gen));
          s.entries.put(rec, key);
          s.partials.delete(key);
        });
        const entry = await this.open(key);
        if (!entry) throw new WeightsError('truncated', `${this.name}: ${key} did not survive its commit`);
        return entry;
      },
      discard: () => this.write(key, (s) => {
        s.chunks.delete(chunkRange(part.gen));
        s.partials.delete(key);
      }),
      close: async () => {},
    };
  }

  async delete(key: string): Promise<void> {
    const [e, p] = await Promise.all([this.get<EntryRecord>('entries', key), this.get<PartialRecord>('partials', key)]);
    await this.write(key, (s) => {
      for (const r of [e, p]) if (r && typeof r.gen === 'string') s.chunks.delete(chunkRange(r.gen));
      s.entries.delete(key);
      s.partials.delete(key);
    });
  }

  async clear(): Promise<void> {
    await this.write('the cache', (s) => {
      for (const store of Object.values(s)) store.clear();
    });
  }
}
