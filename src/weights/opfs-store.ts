/**
 * WeightsStore on the Origin Private File System, for the engine's Web Worker: partial downloads
 * are written through sync access handles (worker-only, and they write in place, so an
 * interrupted download keeps what it wrote). Same layout and commit order as NodeStore:
 * `files/<id>.partial` (+ `.partial.json`) is moved to `<id>.data`, then `<id>.json` is written.
 */
import { entryId, parseMeta, sameVersion, storageError, type CachedFile, type CacheMeta, type PartialFile, type RemoteVersion, type WeightsStore } from './cache.ts';
import { WeightsError } from './errors.ts';
import { blobSource, type ByteSource } from './source.ts';

/** OPFS root directory name used by this app. */
export const OPFS_DIR = 'dit-studio';

interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

type FileHandle = FileSystemFileHandle & {
  createSyncAccessHandle?(): Promise<SyncHandle>;
  move?(name: string): Promise<void>;
};

/** Whether this context can use OpfsStore (a worker in a browser with OPFS). */
export function opfsAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function'
    && typeof (globalThis as { FileSystemSyncAccessHandle?: unknown }).FileSystemSyncAccessHandle === 'function';
}

export async function openOpfsStore(dirName = OPFS_DIR): Promise<OpfsStore> {
  if (!opfsAvailable()) throw new WeightsError('unsupported', 'the Origin Private File System with sync access handles is not available here (it needs a browser worker)');
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle(dirName, { create: true });
  return new OpfsStore(dir);
}

const isNotFound = (e: unknown) => (e as { name?: string })?.name === 'NotFoundError';

export class OpfsStore implements WeightsStore {
  readonly name: string;

  constructor(private readonly dir: FileSystemDirectoryHandle) {
    this.name = `opfs:${dir.name}`;
  }

  private async files(): Promise<FileSystemDirectoryHandle> {
    return this.dir.getDirectoryHandle('files', { create: true });
  }

  private async file(name: string, create = false): Promise<FileHandle | undefined> {
    try {
      return (await (await this.files()).getFileHandle(name, { create })) as FileHandle;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async readText(name: string): Promise<string | undefined> {
    const h = await this.file(name);
    return h ? (await h.getFile()).text() : undefined;
  }

  private async writeText(name: string, text: string): Promise<void> {
    const h = (await this.file(name, true))!;
    const sah = await h.createSyncAccessHandle!();
    try {
      const bytes = new TextEncoder().encode(text);
      sah.truncate(0);
      sah.write(bytes, { at: 0 });
      sah.flush();
    } finally {
      sah.close();
    }
  }

  private async remove(name: string): Promise<void> {
    try {
      await (await this.files()).removeEntry(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async open(key: string, onEvict?: (why: string) => void): Promise<CachedFile | null> {
    const id = await entryId(key);
    let meta: CacheMeta | undefined;
    try {
      meta = parseMeta(JSON.parse((await this.readText(`${id}.json`)) ?? 'null'), key);
    } catch {
      meta = undefined;
    }
    const data = await this.file(`${id}.data`);
    const file = data ? await data.getFile() : undefined;
    if (!meta || !file || file.size !== meta.size) {
      if (meta || file) await Promise.all([this.remove(`${id}.data`), this.remove(`${id}.json`)]);
      if (meta) onEvict?.(file ? `its data is ${file.size} bytes but its record says ${meta.size}` : 'its data is missing');
      return null;
    }
    return { meta, source: withEtag(blobSource(file, `${this.name}/${id}.data`), meta.etag) };
  }

  async openPartial(key: string, version: RemoteVersion): Promise<PartialFile> {
    const id = await entryId(key);
    const name = `${id}.partial`;
    let sah: SyncHandle | undefined;
    try {
      const handle = (await this.file(name, true))!;
      if (typeof handle.createSyncAccessHandle !== 'function') throw new WeightsError('unsupported', 'OPFS sync access handles are only available in a worker');
      try {
        sah = await handle.createSyncAccessHandle();
      } catch (e) {
        if ((e as { name?: string })?.name === 'NoModificationAllowedError') throw new WeightsError('unsupported', `${key} is already being downloaded (in another tab?)`, { cause: e });
        throw e;
      }
      const h = sah;
      let recorded: RemoteVersion | undefined;
      try {
        recorded = JSON.parse((await this.readText(`${name}.json`)) ?? 'null') ?? undefined;
      } catch {
        recorded = undefined;
      }
      let size = h.getSize();
      if (!sameVersion(recorded, version) || size > version.size) {
        h.truncate(0);
        size = 0;
        await this.writeText(`${name}.json`, JSON.stringify({ size: version.size, etag: version.etag }));
      }
      let open = true;
      const release = () => { if (open) { open = false; h.flush(); h.close(); } };
      return {
        get size() { return size; },
        read: async (begin, end) => {
          const out = new Uint8Array(end - begin);
          if (begin < 0 || end > size || h.read(out, { at: begin }) !== out.byteLength) throw new WeightsError('truncated', `${this.name}/${name}: cannot read [${begin}, ${end})`);
          return out;
        },
        append: async (bytes) => {
          try {
            const written = h.write(bytes, { at: size });
            if (written !== bytes.byteLength) {
              // Past the quota Chromium returns an error code as the count (2^32 − 8: "no space")
              // instead of throwing: take the size from the file itself, never from that count.
              size = Math.min(h.getSize(), size + bytes.byteLength);
              throw new DOMException(`short write (${written} of ${bytes.byteLength} bytes)`, 'QuotaExceededError');
            }
            size += written;
          } catch (e) {
            throw storageError(e, key);
          }
        },
        truncate: async () => { h.truncate(0); size = 0; },
        commit: async (meta) => {
          try {
            release();
            await this.remove(`${id}.data`);
            if (typeof handle.move === 'function') {
              await handle.move(`${id}.data`);
            } else {
              await copyFile(handle, (await this.file(`${id}.data`, true))!);
              await this.remove(name);
            }
            await this.writeText(`${id}.json`, JSON.stringify(meta));
            await this.remove(`${name}.json`);
          } catch (e) {
            throw storageError(e, key);
          }
          const entry = await this.open(key);
          if (!entry) throw new WeightsError('truncated', `${this.name}: ${key} did not survive its commit`);
          return entry;
        },
        discard: async () => {
          release();
          await Promise.all([this.remove(name), this.remove(`${name}.json`)]);
        },
        close: async () => release(),
      };
    } catch (e) {
      sah?.close();
      throw storageError(e, key);
    }
  }

  async delete(key: string): Promise<void> {
    const id = await entryId(key);
    await Promise.all([`${id}.data`, `${id}.json`, `${id}.partial`, `${id}.partial.json`].map((n) => this.remove(n)));
  }

  async clear(): Promise<void> {
    try {
      await this.dir.removeEntry('files', { recursive: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

function withEtag(source: ByteSource, etag: string | undefined): ByteSource {
  return { name: source.name, size: source.size, etag, read: source.read.bind(source) };
}

/** Copies a file where FileSystemFileHandle.move is missing (older browsers). */
async function copyFile(from: FileHandle, to: FileHandle): Promise<void> {
  const src = await from.getFile();
  const sah = await to.createSyncAccessHandle!();
  try {
    sah.truncate(0);
    const step = 16 * 1024 * 1024;
    for (let at = 0; at < src.size; at += step) sah.write(new Uint8Array(await src.slice(at, at + step).arrayBuffer()), { at });
    sah.flush();
  } finally {
    sah.close();
  }
}
