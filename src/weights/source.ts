/**
 * Random-access byte sources: everything the weights readers need from a file, whether it lives
 * in memory, in a Blob/File, on disk (node-file-source.ts), in the cache or behind HTTP.
 */
import { WeightsError, throwIfAborted } from './errors.ts';

export interface ByteSource {
  /** Names the file in error messages: a path, a URL or a File's name. */
  readonly name: string;
  readonly size: number;
  /** The server's (or cache's) version tag, quotes and W/ removed; for LFS files the sha256. */
  readonly etag?: string;
  /**
   * False when a read far into the file costs a pass from the start (an HTTP server that ignores
   * Range); readers that touch many ranges should then walk the file once with `stream`.
   */
  readonly rangeReads?: boolean;
  /** Exactly the bytes [begin, end); throws if the range is outside the file. */
  read(begin: number, end: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** The bytes from `begin` to the end, in pieces of any size. Only sources without cheap range reads need it. */
  stream?(begin: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** Refuses reads outside [0, size]: the last guard against offsets taken from a corrupt file. */
export function checkReadRange(source: { name: string; size: number }, begin: number, end: number): void {
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin || end > source.size) {
    throw new WeightsError('truncated', `${source.name}: read of bytes [${begin}, ${end}) is outside the ${source.size}-byte file`);
  }
}

/** A source over bytes already in memory (small files, tests). */
export function bytesSource(bytes: Uint8Array, name = 'memory', etag?: string): ByteSource {
  const source: ByteSource = {
    name,
    size: bytes.byteLength,
    etag,
    async read(begin, end, signal) {
      throwIfAborted(signal);
      checkReadRange(source, begin, end);
      return bytes.slice(begin, end);
    },
  };
  return source;
}

/** A source over a Blob or a File (the browser's file picker, drag and drop). */
export function blobSource(blob: Blob, name?: string): ByteSource {
  const source: ByteSource = {
    name: name ?? ((blob as { name?: unknown }).name as string | undefined) ?? 'blob',
    size: blob.size,
    async read(begin, end, signal) {
      throwIfAborted(signal);
      checkReadRange(source, begin, end);
      const bytes = new Uint8Array(await blob.slice(begin, end).arrayBuffer());
      if (bytes.byteLength !== end - begin) throw new WeightsError('truncated', `${source.name}: file changed while it was being read`);
      return bytes;
    },
  };
  return source;
}

/** The same bytes under another name (error messages name the file a user gave, not the URL it was served at). */
export function renamedSource(source: ByteSource, name: string): ByteSource {
  return {
    name, size: source.size, etag: source.etag, rangeReads: source.rangeReads,
    read: (begin, end, signal) => source.read(begin, end, signal),
    ...(source.stream ? { stream: source.stream.bind(source) } : {}),
  };
}

/** Calls `onRead(bytes)` after each read of `source`, to report load progress without knowing the reader. */
export function countingSource(source: ByteSource, onRead: (bytes: number) => void): ByteSource {
  const counted: ByteSource = {
    name: source.name,
    size: source.size,
    etag: source.etag,
    rangeReads: source.rangeReads,
    async read(begin, end, signal) {
      const bytes = await source.read(begin, end, signal);
      onRead(bytes.byteLength);
      return bytes;
    },
  };
  if (source.stream) {
    const inner = source.stream.bind(source);
    counted.stream = async function* (begin, signal) {
      for await (const piece of inner(begin, signal)) {
        onRead(piece.byteLength);
        yield piece;
      }
    };
  }
  return counted;
}
