/**
 * The download cache's storage interface. A store holds complete entries (bytes plus a small JSON
 * record of where they came from) and at most one partial download per key; a partial becomes an
 * entry only through commit (the rename), after the downloader has verified it. Implementations:
 * MemoryStore (memory-store.ts), NodeStore (node-store.ts, Node only), OpfsStore (opfs-store.ts,
 * browser workers).
 */
import { WeightsError } from './errors.ts';
import { Sha256 } from './sha256.ts';
import type { ByteSource } from './source.ts';

export interface CacheMeta {
  /** The entry's key: the file's resolve URL (hub + repo + revision + path). */
  key: string;
  /** Where the bytes were downloaded from. */
  url: string;
  size: number;
  etag?: string;
  /** Present when the bytes were checked against it. */
  sha256?: string;
  /** ISO date of the download. */
  storedAt: string;
}

export interface CachedFile {
  meta: CacheMeta;
  source: ByteSource;
}

/** Which remote version a partial download holds: a partial of another version is thrown away. */
export interface RemoteVersion {
  size: number;
  etag?: string;
}

export interface WeightsStore {
  /** Says where entries live, for messages. */
  readonly name: string;
  /**
   * A complete entry, or null. An entry that fails its checks (its record, its size, and where the
   * store can tell its data changed since it was verified, its sha256) is deleted, `onEvict` is
   * told why (for the user: "its data is 10 bytes but its record says 300"), and null returned.
   */
  open(key: string, onEvict?: (why: string) => void): Promise<CachedFile | null>;
  /** The partial download for `key`: kept if it is of `version`, else emptied. Close, commit or discard it. */
  openPartial(key: string, version: RemoteVersion): Promise<PartialFile>;
  delete(key: string): Promise<void>;
  clear(): Promise<void>;
}

export interface PartialFile {
  /** Bytes already there. */
  readonly size: number;
  read(begin: number, end: number): Promise<Uint8Array>;
  /** Throws WeightsError('quota') when storage is full. */
  append(bytes: Uint8Array): Promise<void>;
  /** Back to zero bytes (a restart). */
  truncate(): Promise<void>;
  /** Turns the partial into the complete entry described by `meta`. */
  commit(meta: CacheMeta): Promise<CachedFile>;
  /** Deletes the partial. */
  discard(): Promise<void>;
  /** Lets go of it, keeping its bytes for a later resume. */
  close(): Promise<void>;
}

/** Read size when hashing a whole entry. */
const HASH_CHUNK_BYTES = 16 * 1024 * 1024;

/** The sha256 (hex) of a whole source, read in 16 MiB pieces. */
export async function sha256Of(source: ByteSource, signal?: AbortSignal): Promise<string> {
  const h = await Sha256.create();
  for (let at = 0; at < source.size; at += HASH_CHUNK_BYTES) h.update(await source.read(at, Math.min(source.size, at + HASH_CHUNK_BYTES), signal));
  return h.hex();
}

/** A stored record, if it is well-formed and for `key`. */
export function parseMeta(json: unknown, key: string): CacheMeta | undefined {
  if (json === null || typeof json !== 'object') return undefined;
  const m = json as Record<string, unknown>;
  if (m.key !== key || typeof m.url !== 'string' || typeof m.storedAt !== 'string') return undefined;
  if (typeof m.size !== 'number' || !Number.isSafeInteger(m.size) || m.size < 0) return undefined;
  if (m.etag !== undefined && typeof m.etag !== 'string') return undefined;
  if (m.sha256 !== undefined && typeof m.sha256 !== 'string') return undefined;
  return { key, url: m.url, size: m.size, etag: m.etag as string | undefined, sha256: m.sha256 as string | undefined, storedAt: m.storedAt };
}

/** Whether a partial's recorded version is the one being downloaded. */
export function sameVersion(a: RemoteVersion | undefined, b: RemoteVersion): boolean {
  return a !== undefined && a.size === b.size && a.etag === b.etag;
}

/** Disk full (Node ENOSPC/EDQUOT) or storage quota exceeded (browser QuotaExceededError). */
export function isQuotaError(e: unknown): boolean {
  if (e instanceof WeightsError) return e.code === 'quota';
  const x = e as { code?: unknown; name?: unknown } | null;
  return !!x && (x.code === 'ENOSPC' || x.code === 'EDQUOT' || x.name === 'QuotaExceededError');
}

/** Rethrows storage errors, turning quota ones into WeightsError('quota'). */
export function storageError(e: unknown, where: string): unknown {
  if (e instanceof WeightsError) return e;
  if (isQuotaError(e)) {
    return new WeightsError('quota', `no space left to cache ${where}: free some disk space or clear the cache; the model can still be streamed without caching`, { cause: e });
  }
  return e;
}

/** A file name for a key: the readable tail of the key plus a hash that keeps it unique. */
export async function entryId(key: string): Promise<string> {
  const tail = key.split('/').slice(-3).join('_').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-80);
  return `${tail}-${(await Sha256.create()).update(new TextEncoder().encode(key)).hex().slice(0, 16)}`;
}
