/** ByteSource wrappers for tests: record reads, or pretend to be a server without Range support. */
import type { ByteSource } from '../../src/weights/source.ts';

export interface ReadLog { reads: Array<[number, number]>; streams: number[] }

/** Wraps a source and records every read range (and every stream start). */
export function recording(source: ByteSource): ByteSource & { log: ReadLog } {
  const log: ReadLog = { reads: [], streams: [] };
  const wrapped: ByteSource & { log: ReadLog } = {
    name: source.name,
    size: source.size,
    etag: source.etag,
    rangeReads: source.rangeReads,
    log,
    read(begin, end, signal) {
      log.reads.push([begin, end]);
      return source.read(begin, end, signal);
    },
  };
  if (source.stream) {
    const s = source.stream.bind(source);
    wrapped.stream = (begin, signal) => { log.streams.push(begin); return s(begin, signal); };
  }
  return wrapped;
}

/** A source that can only be read front to back, in pieces of `pieceBytes` (like a server ignoring Range). */
export function sequentialOnly(bytes: Uint8Array, pieceBytes: number, name = 'sequential'): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    rangeReads: false,
    async read() { throw new Error('sequentialOnly: read() must not be used by streamTensors'); },
    async *stream(begin) {
      for (let i = 0; i < bytes.byteLength; i += pieceBytes) {
        const piece = bytes.slice(i, i + pieceBytes);
        if (i + piece.byteLength <= begin) continue;
        yield i < begin ? piece.subarray(begin - i) : piece;
      }
    },
  };
}

/** Deterministic PRNG (mulberry32) for fuzzing and random fixtures: the tests' one generator. */
export { rng as prng } from './random.ts';
