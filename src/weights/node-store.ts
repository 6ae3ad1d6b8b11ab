/**
 * WeightsStore on the local disk (Node only). Each entry is `<dir>/files/<id>.data` plus its
 * record `<id>.json`; a download in progress is `<id>.partial` plus `<id>.partial.json` (the
 * remote version it holds). Commit renames the partial into place, then writes the record, so a
 * crash leaves either a partial or an entry without a record: neither is ever used as complete.
 *
 * The record also keeps the data file's modification time at commit. Re-hashing gigabytes on
 * every open would cost seconds, so an entry is hashed again only when that time has changed
 * (something wrote to the file, or it was copied): it is then kept if it still matches its
 * sha256 (and the new time recorded), else deleted. Damage that leaves the time alone (bit rot)
 * is caught when the file no longer parses (remote-files.ts).
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { entryId, parseMeta, sameVersion, sha256Of, storageError, type CachedFile, type CacheMeta, type PartialFile, type RemoteVersion, type WeightsStore } from './cache.ts';
import { throwIfAborted } from './errors.ts';
import { readFileRange } from './node-file-source.ts';
import { checkReadRange, type ByteSource } from './source.ts';

/** `$XDG_CACHE_HOME/dit-studio`, else `~/.cache/dit-studio`. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env, home = homedir()): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(base, 'dit-studio');
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

async function statOf(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/** What NodeStore writes as `<id>.json`: the entry's record plus the data file's modification time then. */
type StoredRecord = CacheMeta & { dataMtimeMs?: number };

/** The modification time recorded with an entry; undefined for records written before it was kept. */
function recordedMtime(json: unknown): number | undefined {
  const t = (json as { dataMtimeMs?: unknown } | undefined)?.dataMtimeMs;
  return typeof t === 'number' ? t : undefined;
}

export class NodeStore implements WeightsStore {
  readonly name: string;
  private readonly files: string;

  constructor(readonly dir: string = defaultCacheDir()) {
    this.name = dir;
    this.files = join(dir, 'files');
  }

  private async paths(key: string) {
    const base = join(this.files, await entryId(key));
    return { data: `${base}.data`, meta: `${base}.json`, partial: `${base}.partial`, partialMeta: `${base}.partial.json` };
  }

  async open(key: string, onEvict?: (why: string) => void): Promise<CachedFile | null> {
    const p = await this.paths(key);
    const json = await readJson(p.meta);
    const meta = parseMeta(json, key);
    const st = await statOf(p.data);
    const evict = async (why: string | undefined) => {
      await Promise.all([rm(p.data, { force: true }), rm(p.meta, { force: true })]);
      if (why) onEvict?.(why);
      return null;
    };
    if (!meta || st?.size !== meta.size) {
      if (!meta && !st) return null;
      return evict(!meta ? undefined : !st ? 'its data file is missing' : `its data is ${st.size} bytes but its record says ${meta.size}`);
    }
    const entry = { meta, source: cachedFileSource(p.data, meta) };
    const mtime = recordedMtime(json);
    // Records from before modification times were kept: adopted as they are, checked once if they can be.
    if (mtime === st.mtimeMs || (mtime === undefined && !meta.sha256)) {
      if (mtime === undefined) await this.writeRecord(p.meta, meta, st.mtimeMs);
      return entry;
    }
    if (!meta.sha256) return evict('its data changed on disk since it was downloaded, and it has no sha256 to check it against');
    const sha256 = await sha256Of(entry.source);
    if (sha256 !== meta.sha256) return evict(`its data changed on disk since it was downloaded: its sha256 is now ${sha256}, not ${meta.sha256}`);
    await this.writeRecord(p.meta, meta, st.mtimeMs);
    return entry;
  }

  /** Writes an entry's record (through a rename, so a crash never leaves half of one). */
  private async writeRecord(path: string, meta: CacheMeta, dataMtimeMs: number): Promise<void> {
    const record: StoredRecord = { ...meta, dataMtimeMs };
    await writeFile(`${path}.tmp`, JSON.stringify(record, null, 1));
    await rename(`${path}.tmp`, path);
  }

  async openPartial(key: string, version: RemoteVersion): Promise<PartialFile> {
    const p = await this.paths(key);
    try {
      await mkdir(this.files, { recursive: true });
      const recorded = (await readJson(p.partialMeta)) as RemoteVersion | undefined;
      let fh: FileHandle = await open(p.partial, 'a+');
      let size = (await fh.stat()).size;
      if (!sameVersion(recorded, version) || size > version.size) {
        await fh.truncate(0);
        size = 0;
        await writeFile(p.partialMeta, JSON.stringify({ size: version.size, etag: version.etag }));
      }
      const closeHandle = async () => {
        const h = fh;
        fh = undefined as unknown as FileHandle;
        await h?.close();
      };
      return {
        get size() { return size; },
        read: (begin, end) => {
          checkReadRange({ name: p.partial, size }, begin, end);
          return readFileRange(p.partial, begin, end);
        },
        append: async (bytes) => {
          try {
            let done = 0;
            while (done < bytes.byteLength) done += (await fh.write(bytes, done, bytes.byteLength - done)).bytesWritten;
            size += bytes.byteLength;
          } catch (e) {
            throw storageError(e, key);
          }
        },
        truncate: async () => { await fh.truncate(0); size = 0; },
        commit: async (meta: CacheMeta) => {
          try {
            await fh.datasync();
            const { mtimeMs } = await fh.stat();
            await closeHandle();
            await rename(p.partial, p.data);
            await this.writeRecord(p.meta, meta, mtimeMs);
            await rm(p.partialMeta, { force: true });
          } catch (e) {
            throw storageError(e, key);
          }
          return { meta, source: cachedFileSource(p.data, meta) };
        },
        discard: async () => {
          await closeHandle();
          await Promise.all([rm(p.partial, { force: true }), rm(p.partialMeta, { force: true })]);
        },
        close: closeHandle,
      };
    } catch (e) {
      throw storageError(e, key);
    }
  }

  async delete(key: string): Promise<void> {
    const p = await this.paths(key);
    await Promise.all(Object.values(p).map((f) => rm(f, { force: true })));
  }

  async clear(): Promise<void> {
    await rm(this.files, { recursive: true, force: true });
  }
}

function cachedFileSource(path: string, meta: CacheMeta): ByteSource {
  const source: ByteSource = {
    name: path,
    size: meta.size,
    etag: meta.etag,
    async read(begin, end, signal) {
      throwIfAborted(signal);
      checkReadRange(source, begin, end);
      return readFileRange(path, begin, end);
    },
  };
  return source;
}
