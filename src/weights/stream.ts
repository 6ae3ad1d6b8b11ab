/**
 * Streams chosen tensors out of a ByteSource in bounded reads: tensors that sit close together
 * share one read, large ones are split, and bytes nobody asked for are skipped (or, for sources
 * that can only be read front to back, read past and dropped). Memory stays at one read's worth.
 */
import { WeightsError, throwIfAborted } from './errors.ts';
import type { ByteSource } from './source.ts';
import type { TensorEntry } from './tensor-entry.ts';

export const DEFAULT_MAX_CHUNK_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_GAP_BYTES = 1024 * 1024;

export interface StreamOptions {
  /** Largest single read, rounded down to a multiple of 8 (default 64 MiB). */
  maxChunkBytes?: number;
  /** Unwanted bytes between two wanted ranges that are read through instead of starting a new read (default 1 MiB). */
  maxGapBytes?: number;
  /**
   * Reads started ahead while the consumer handles the current chunk (default 1), so network or
   * disk latency overlaps with the consumer's work; memory is (1 + readAhead) chunks.
   */
  readAhead?: number;
  signal?: AbortSignal;
}

/**
 * Receives a tensor's bytes [offset, offset + chunk.byteLength). Chunks of one tensor arrive in
 * order; every chunk but a tensor's last is a multiple of 8 bytes, so no element is split. The
 * chunk is a view of a buffer that is never reused; an empty tensor gets one empty chunk.
 */
export type ChunkHandler = (entry: TensorEntry, chunk: Uint8Array, offsetInTensor: number) => void | Promise<void>;

/** One piece of one tensor, at absolute bytes [begin, end) of the file. */
export interface PlannedPiece {
  entry: TensorEntry;
  offsetInTensor: number;
  begin: number;
  end: number;
}

export interface PlannedRead {
  begin: number;
  end: number;
  pieces: PlannedPiece[];
}

/** Groups the tensors' bytes into reads of at most maxChunkBytes, in file order. Empty tensors are left out. */
export function planReads(entries: Iterable<TensorEntry>, maxChunkBytes = DEFAULT_MAX_CHUNK_BYTES, maxGapBytes = DEFAULT_MAX_GAP_BYTES): PlannedRead[] {
  const chunk = Math.max(8, Math.floor(maxChunkBytes / 8) * 8);
  const pieces: PlannedPiece[] = [];
  for (const entry of entries) {
    for (let off = 0; off < entry.end - entry.begin; off += chunk) {
      pieces.push({ entry, offsetInTensor: off, begin: entry.begin + off, end: Math.min(entry.end, entry.begin + off + chunk) });
    }
  }
  pieces.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const reads: PlannedRead[] = [];
  let cur: PlannedRead | undefined;
  for (const p of pieces) {
    // Pieces arrive sorted by begin, so a piece that joins `cur` starts inside or after it.
    if (cur && p.begin - cur.end <= maxGapBytes && Math.max(cur.end, p.end) - cur.begin <= chunk) {
      cur.end = Math.max(cur.end, p.end);
      cur.pieces.push(p);
    } else {
      cur = { begin: p.begin, end: p.end, pieces: [p] };
      reads.push(cur);
    }
  }
  return reads;
}

/** Reads `entries` from `source`, handing each chunk to `onChunk` (awaited: a slow consumer slows the reads). */
export async function streamTensors(source: ByteSource, entries: Iterable<TensorEntry>, onChunk: ChunkHandler, options: StreamOptions = {}): Promise<void> {
  const { signal } = options;
  const list = [...entries];
  for (const e of list) {
    if (!(Number.isSafeInteger(e.begin) && Number.isSafeInteger(e.end) && e.begin >= 0 && e.begin <= e.end && e.end <= source.size)) {
      throw new WeightsError('truncated', `${source.name}: tensor "${e.name}" at bytes [${e.begin}, ${e.end}) lies outside the ${source.size}-byte file`);
    }
  }
  for (const e of list) if (e.end === e.begin) await onChunk(e, new Uint8Array(0), 0);
  const reads = planReads(list, options.maxChunkBytes, options.maxGapBytes);
  const fill = source.rangeReads === false && source.stream ? sequentialReader(source, signal) : undefined;
  // A front-to-back stream cannot be read ahead; range reads can.
  const ahead = fill ? 0 : Math.max(0, options.readAhead ?? 1);
  const inFlight: Array<Promise<Uint8Array>> = [];
  const start = (i: number) => {
    const r = reads[i];
    const p = fill ? fill.read(r.begin, r.end) : source.read(r.begin, r.end, signal);
    p.catch(() => {}); // Observed when awaited; this only stops an abandoned read-ahead from being "unhandled".
    inFlight.push(p);
  };
  try {
    for (let i = 0; i < reads.length; i++) {
      throwIfAborted(signal);
      while (inFlight.length <= ahead && i + inFlight.length < reads.length) start(i + inFlight.length);
      const bytes = await inFlight.shift()!;
      const r = reads[i];
      for (const p of r.pieces) await onChunk(p.entry, bytes.subarray(p.begin - r.begin, p.end - r.begin), p.offsetInTensor);
    }
  } finally {
    await fill?.close();
  }
}

/**
 * Serves ascending ranges from one front-to-back pass over `source.stream`, dropping skipped
 * bytes; a range that starts behind the current position restarts the stream there.
 */
function sequentialReader(source: ByteSource, signal: AbortSignal | undefined) {
  let it: AsyncIterator<Uint8Array> | undefined;
  let pos = 0;
  let leftover: Uint8Array | undefined;
  const close = async () => {
    const old = it;
    it = undefined;
    leftover = undefined;
    await old?.return?.();
  };
  return {
    close,
    async read(begin: number, end: number): Promise<Uint8Array> {
      if (!it || begin < pos) {
        await close();
        it = source.stream!(begin, signal)[Symbol.asyncIterator]();
        pos = begin;
      }
      const out = new Uint8Array(end - begin);
      let filled = 0;
      while (filled < out.byteLength) {
        let piece = leftover;
        leftover = undefined;
        if (!piece) {
          const next = await it.next();
          if (next.done) throw new WeightsError('truncated', `${source.name}: stream ended at byte ${pos}, before ${end}`);
          piece = next.value;
        }
        if (pos < begin) {
          if (pos + piece.byteLength <= begin) { pos += piece.byteLength; continue; }
          piece = piece.subarray(begin - pos);
          pos = begin;
        }
        const take = Math.min(piece.byteLength, out.byteLength - filled);
        out.set(piece.subarray(0, take), filled);
        filled += take;
        pos += take;
        if (take < piece.byteLength) leftover = piece.subarray(take);
      }
      return out;
    },
  };
}
