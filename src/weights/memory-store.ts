/** A WeightsStore in memory: for tests, and where nothing persistent is available. */
import { WeightsError } from './errors.ts';
import { sameVersion, type CachedFile, type CacheMeta, type PartialFile, type RemoteVersion, type WeightsStore } from './cache.ts';
import { bytesSource } from './source.ts';

export interface MemoryStoreOptions {
  /** Total bytes it may hold; appends past it throw WeightsError('quota'). */
  quotaBytes?: number;
}

export class MemoryStore implements WeightsStore {
  readonly name = 'memory';
  readonly entries = new Map<string, { meta: CacheMeta; data: Uint8Array }>();
  readonly partials = new Map<string, { version: RemoteVersion; chunks: Uint8Array[]; size: number }>();

  constructor(private readonly options: MemoryStoreOptions = {}) {}

  private used(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.data.byteLength;
    for (const p of this.partials.values()) n += p.size;
    return n;
  }

  async open(key: string, onEvict?: (why: string) => void): Promise<CachedFile | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    if (e.data.byteLength !== e.meta.size) {
      this.entries.delete(key);
      onEvict?.(`its data is ${e.data.byteLength} bytes but its record says ${e.meta.size}`);
      return null;
    }
    return { meta: e.meta, source: bytesSource(e.data, `memory:${key}`, e.meta.etag) };
  }

  async openPartial(key: string, version: RemoteVersion): Promise<PartialFile> {
    let p = this.partials.get(key);
    if (!p || !sameVersion(p.version, version)) {
      p = { version: { ...version }, chunks: [], size: 0 };
      this.partials.set(key, p);
    }
    const part = p;
    const flat = () => {
      const out = new Uint8Array(part.size);
      let at = 0;
      for (const c of part.chunks) { out.set(c, at); at += c.byteLength; }
      part.chunks = [out];
      return out;
    };
    return {
      get size() { return part.size; },
      read: async (begin, end) => flat().slice(begin, end),
      append: async (bytes) => {
        if (this.options.quotaBytes !== undefined && this.used() + bytes.byteLength > this.options.quotaBytes) {
          throw new WeightsError('quota', `no space left to cache ${key} (memory store quota ${this.options.quotaBytes} bytes)`);
        }
        part.chunks.push(bytes.slice());
        part.size += bytes.byteLength;
      },
      truncate: async () => { part.chunks = []; part.size = 0; },
      commit: async (meta) => {
        this.partials.delete(key);
        this.entries.set(key, { meta, data: flat() });
        return (await this.open(key))!;
      },
      discard: async () => { this.partials.delete(key); },
      close: async () => {},
    };
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
    this.partials.delete(key);
  }

  async clear(): Promise<void> {
    this.entries.clear();
    this.partials.clear();
  }
}
