/** Writes small zip archives for tests: stored entries, optional ZIP64 records, fake compressed entries. */

export interface ZipInput {
  name: string;
  data: Uint8Array;
  /** Compression method to claim (the data is written as given). */
  method?: number;
}

export interface ZipWriteOptions {
  /** Write every size and offset through ZIP64 extra fields and the ZIP64 end records. */
  zip64?: boolean;
  /** Pad local headers so entry data starts on this boundary, as torch.save does (64). */
  align?: number;
  comment?: string;
}

let crcTable: Uint32Array | undefined;
export function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class Out {
  private parts: number[] = [];
  get length() { return this.parts.length; }
  u8(v: number) { this.parts.push(v & 0xff); return this; }
  u16(v: number) { return this.u8(v).u8(v >>> 8); }
  u32(v: number) { return this.u16(v & 0xffff).u16(Math.floor(v / 65536)); }
  u64(v: number) { return this.u32(v % 2 ** 32).u32(Math.floor(v / 2 ** 32)); }
  bytes(b: Uint8Array) { for (const x of b) this.parts.push(x); return this; }
  done() { return Uint8Array.from(this.parts); }
}

export function writeZip(inputs: ZipInput[], options: ZipWriteOptions = {}): Uint8Array {
  const z64 = options.zip64 ?? false;
  const align = options.align ?? 1;
  const enc = new TextEncoder();
  const out = new Out();
  const central: Array<{ name: Uint8Array; crc: number; size: number; offset: number; method: number }> = [];
  for (const e of inputs) {
    const name = enc.encode(e.name);
    const crc = crc32(e.data);
    const offset = out.length;
    const method = e.method ?? 0;
    const extra = new Out();
    if (z64) extra.u16(1).u16(16).u64(e.data.byteLength).u64(e.data.byteLength);
    const dataAt = offset + 30 + name.byteLength + extra.length;
    const pad = (align - ((dataAt + 4) % align)) % align;
    if (align > 1) extra.u16(0x4246).u16(pad).bytes(new Uint8Array(pad));
    out.u32(0x04034b50).u16(z64 ? 45 : 20).u16(0x800).u16(method).u16(0).u16(0x21)
      .u32(crc).u32(z64 ? 0xffffffff : e.data.byteLength).u32(z64 ? 0xffffffff : e.data.byteLength)
      .u16(name.byteLength).u16(extra.length).bytes(name).bytes(extra.done()).bytes(e.data);
    central.push({ name, crc, size: e.data.byteLength, offset, method });
  }
  const cdOffset = out.length;
  for (const c of central) {
    const extra = z64 ? new Out().u16(1).u16(24).u64(c.size).u64(c.size).u64(c.offset).done() : new Uint8Array(0);
    out.u32(0x02014b50).u16(z64 ? 45 : 20).u16(z64 ? 45 : 20).u16(0x800).u16(c.method).u16(0).u16(0x21)
      .u32(c.crc).u32(z64 ? 0xffffffff : c.size).u32(z64 ? 0xffffffff : c.size)
      .u16(c.name.byteLength).u16(extra.byteLength).u16(0).u16(0).u16(0).u32(0).u32(z64 ? 0xffffffff : c.offset)
      .bytes(c.name).bytes(extra);
  }
  const cdSize = out.length - cdOffset;
  if (z64) {
    const recOffset = out.length;
    out.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(central.length).u64(central.length).u64(cdSize).u64(cdOffset);
    out.u32(0x07064b50).u32(0).u64(recOffset).u32(1);
  }
  const comment = enc.encode(options.comment ?? '');
  out.u32(0x06054b50).u16(0).u16(0).u16(z64 ? 0xffff : central.length).u16(z64 ? 0xffff : central.length)
    .u32(z64 ? 0xffffffff : cdSize).u32(z64 ? 0xffffffff : cdOffset).u16(comment.byteLength).bytes(comment);
  return out.done();
}

/** Minimal pickle assembler for hand-made test pickles. */
export class PickleBuilder {
  private out = new Out();
  op(code: number) { this.out.u8(code); return this; }
  proto(n = 2) { return this.op(0x80).op(n); }
  str(s: string) { const b = new TextEncoder().encode(s); this.out.u8(0x58).u32(b.byteLength).bytes(b); return this; }
  int(v: number) { this.out.u8(0x4a).u32(v >>> 0); return this; }
  global(module: string, name: string) { this.out.u8(0x63).bytes(new TextEncoder().encode(`${module}\n${name}\n`)); return this; }
  raw(b: Uint8Array | number[]) { this.out.bytes(Uint8Array.from(b)); return this; }
  mark() { return this.op(0x28); }
  tuple() { return this.op(0x74); }
  emptyDict() { return this.op(0x7d); }
  emptyList() { return this.op(0x5d); }
  emptyTuple() { return this.op(0x29); }
  setitem() { return this.op(0x73); }
  append() { return this.op(0x61); }
  reduce() { return this.op(0x52); }
  put(i: number) { return this.op(0x71).op(i); }
  get(i: number) { return this.op(0x68).op(i); }
  persid() { return this.op(0x51); }
  stop() { return this.op(0x2e); }
  done() { return this.out.done(); }
}
