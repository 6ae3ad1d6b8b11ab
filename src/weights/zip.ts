/**
 * Reads a zip archive's directory through range reads (ZIP64 included) and finds where each
 * stored entry's bytes lie, so they can be streamed in place. Only what PyTorch writes is
 * supported: one disk, stored (uncompressed), unencrypted entries.
 */
import { formatBytes } from './budget.ts';
import { WeightsError, throwIfAborted } from './errors.ts';
import type { ByteSource } from './source.ts';

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed and refused when its data is located. */
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  byName: Map<string, ZipEntry>;
  /** Where the central directory starts: no entry's data may reach past it. */
  centralDirectoryOffset: number;
}

/**
 * Largest central directory read into memory, and most entries: a checkpoint has one entry per
 * tensor storage (DiT-XL/2's about 700, a 70 KB directory). Both bound the directory's memory:
 * the bytes, plus about 250 bytes per entry for its record, name and index.
 */
export const MAX_CENTRAL_DIRECTORY_BYTES = 8 * 1024 * 1024;
export const MAX_ZIP_ENTRIES = 100_000;

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_BYTES = 22;
const MAX_COMMENT = 0xffff;

const bad = (msg: string) => new WeightsError('bad-archive', msg);

/** A 64-bit little-endian field as a number, refusing values past 2^53. */
function u64(dv: DataView, at: number, what: string): number {
  const hi = dv.getUint32(at + 4, true);
  if (hi >= 2 ** 21) throw bad(`${what} does not fit in 53 bits`);
  return hi * 2 ** 32 + dv.getUint32(at, true);
}

export async function readZipDirectory(source: ByteSource, signal?: AbortSignal): Promise<ZipDirectory> {
  const size = source.size;
  if (size < EOCD_BYTES) throw bad('too short to be a zip archive');
  const tailStart = Math.max(0, size - (EOCD_BYTES + MAX_COMMENT + 20));
  const tail = await source.read(tailStart, size, signal);
  const tdv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);

  // The end record is the last signature whose comment length reaches exactly to the end of the file.
  let eocd = -1;
  for (let i = tail.byteLength - EOCD_BYTES; i >= 0; i--) {
    if (tdv.getUint32(i, true) === EOCD_SIG && i + EOCD_BYTES + tdv.getUint16(i + 20, true) === tail.byteLength) { eocd = i; break; }
  }
  if (eocd < 0) throw bad('no zip end-of-central-directory record (not a zip file, or truncated)');
  if (tdv.getUint16(eocd + 4, true) !== 0 || tdv.getUint16(eocd + 6, true) !== 0) throw new WeightsError('unsupported', 'multi-disk zip archives are not supported');
  let count = tdv.getUint16(eocd + 10, true);
  let cdSize = tdv.getUint32(eocd + 12, true);
  let cdOffset = tdv.getUint32(eocd + 16, true);
  let cdLimit = tailStart + eocd;

  const locator = eocd - 20;
  if (locator >= 0 && tdv.getUint32(locator, true) === ZIP64_LOCATOR_SIG) {
    const recOffset = u64(tdv, locator + 8, 'ZIP64 record offset');
    if (recOffset + 56 > tailStart + locator) throw bad('ZIP64 end record lies outside the file');
    const rec = await source.read(recOffset, recOffset + 56, signal);
    const rdv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    if (rdv.getUint32(0, true) !== ZIP64_EOCD_SIG) throw bad('bad ZIP64 end record signature');
    if (rdv.getUint32(16, true) !== 0 || rdv.getUint32(20, true) !== 0) throw new WeightsError('unsupported', 'multi-disk zip archives are not supported');
    count = u64(rdv, 32, 'ZIP64 entry count');
    cdSize = u64(rdv, 40, 'ZIP64 directory size');
    cdOffset = u64(rdv, 48, 'ZIP64 directory offset');
    cdLimit = recOffset;
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw bad('ZIP64 fields without a ZIP64 locator');
  }

  if (cdOffset + cdSize > cdLimit) throw bad(`central directory [${cdOffset}, ${cdOffset + cdSize}) runs past its end record at ${cdLimit}`);
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) {
    throw new WeightsError('unsupported', `central directory of ${cdSize} bytes is over the ${formatBytes(MAX_CENTRAL_DIRECTORY_BYTES)} limit (DiT-XL/2's is about 70 KB), so the file is damaged or hostile`);
  }
  if (count > MAX_ZIP_ENTRIES) {
    throw new WeightsError('unsupported', `${count} zip entries are over the limit of ${MAX_ZIP_ENTRIES} (a checkpoint has one per tensor storage, DiT-XL/2 about 700), so the file is damaged or hostile`);
  }
  if (count * 46 > cdSize) throw bad(`${count} entries cannot fit in a ${cdSize}-byte central directory`);
  throwIfAborted(signal);
  const cd = await source.read(cdOffset, cdOffset + cdSize, signal);
  const entries = parseCentralDirectory(cd, count, cdOffset);
  const byName = new Map<string, ZipEntry>();
  for (const e of entries) {
    if (byName.has(e.name)) throw bad(`duplicate entry "${e.name}"`);
    byName.set(e.name, e);
  }
  return { entries, byName, centralDirectoryOffset: cdOffset };
}

function parseCentralDirectory(cd: Uint8Array, count: number, cdOffset: number): ZipEntry[] {
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const names = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.byteLength || dv.getUint32(p, true) !== CENTRAL_SIG) throw bad(`central directory entry ${i} is damaged`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const commentLength = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.byteLength) throw bad(`central directory entry ${i} runs past the directory`);
    const name = names.decode(cd.subarray(p + 46, p + 46 + nameLength));

    // ZIP64 extra field: 64-bit versions of exactly the fields whose 32-bit value is all ones, in this order.
    let x = p + 46 + nameLength;
    const xEnd = x + extraLength;
    while (x + 4 <= xEnd) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (x + 4 + len > xEnd) throw bad(`entry "${name}": extra field runs past its end`);
      if (id === 0x0001) {
        let q = x + 4;
        const next = (what: string) => {
          if (q + 8 > x + 4 + len) throw bad(`entry "${name}": ZIP64 extra field is too short`);
          const v = u64(dv, q, what);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next('size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('local header offset');
      }
      x += 4 + len;
    }
    if (localHeaderOffset + 30 > cdOffset) throw bad(`entry "${name}": local header at ${localHeaderOffset} is not before the central directory`);
    entries.push({ name, method, flags, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return entries;
}

/** Local header bytes read speculatively per entry: the fixed 30 + name + this much extra field. */
const LOCAL_EXTRA_GUESS = 128;

/**
 * Absolute data ranges of stored entries, from their local headers (PyTorch pads the local extra
 * field to align data, so it differs from the central one). Nearby headers share a read.
 */
export async function locateStoredData(source: ByteSource, dir: ZipDirectory, entries: ZipEntry[], signal?: AbortSignal): Promise<Map<ZipEntry, { begin: number; end: number }>> {
  const enc = new TextEncoder();
  const out = new Map<ZipEntry, { begin: number; end: number }>();
  const sorted = [...new Set(entries)].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (const e of sorted) {
    if (e.flags & 1) throw new WeightsError('unsupported', `zip entry "${e.name}" is encrypted`);
    if (e.method !== 0) {
      throw new WeightsError('unsupported', `zip entry "${e.name}" is compressed (method ${e.method}); torch.save stores entries uncompressed, so re-save the checkpoint with torch.save instead of re-zipping it`);
    }
    if (e.compressedSize !== e.size) throw bad(`stored entry "${e.name}" has different compressed (${e.compressedSize}) and plain (${e.size}) sizes`);
  }
  const nameBytes = new Map(sorted.map((e) => [e, enc.encode(e.name)]));
  const windowEnd = (e: ZipEntry) => Math.min(dir.centralDirectoryOffset, e.localHeaderOffset + 30 + nameBytes.get(e)!.byteLength + LOCAL_EXTRA_GUESS);
  // Group headers within 64 KiB of each other into one read of at most 1 MiB.
  const groups: ZipEntry[][] = [];
  for (const e of sorted) {
    const g = groups[groups.length - 1];
    if (g && e.localHeaderOffset - windowEnd(g[g.length - 1]) <= 65536 && windowEnd(e) - g[0].localHeaderOffset <= 1 << 20) g.push(e);
    else groups.push([e]);
  }
  for (const g of groups) {
    throwIfAborted(signal);
    const begin = g[0].localHeaderOffset;
    const end = Math.max(...g.map(windowEnd));
    const buf = await source.read(begin, end, signal);
    for (const e of g) {
      const at = e.localHeaderOffset - begin;
      const header = buf.subarray(at);
      const name = nameBytes.get(e)!;
      if (header.byteLength < 30) throw bad(`entry "${e.name}": local header is cut off`);
      const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
      if (dv.getUint32(0, true) !== LOCAL_SIG) throw bad(`entry "${e.name}": bad local header signature`);
      const nameLength = dv.getUint16(26, true);
      const extraLength = dv.getUint16(28, true);
      const dataBegin = e.localHeaderOffset + 30 + nameLength + extraLength;
      // The read window covers the central name's length, so a matching name is always in `header`.
      if (nameLength !== name.byteLength || 30 + nameLength > header.byteLength) throw bad(`entry "${e.name}": local and central names differ`);
      for (let i = 0; i < nameLength; i++) if (header[30 + i] !== name[i]) throw bad(`entry "${e.name}": local and central names differ`);
      if (dataBegin + e.size > dir.centralDirectoryOffset) throw bad(`entry "${e.name}": data [${dataBegin}, ${dataBegin + e.size}) runs into the central directory`);
      out.set(e, { begin: dataBegin, end: dataBegin + e.size });
    }
  }
  return out;
}
