/**
 * Incremental SHA-256 over hash-wasm (issue 14: twice as fast as our own JS in Chromium, see
 * BENCHMARKS.md). WebCrypto only hashes a whole buffer at once, and a multi-GB download must be
 * verified as it streams past, so this one takes bytes in pieces.
 *
 * hash-wasm's hashers come from an async factory: one wasm instance is made on the first
 * `Sha256.create()` (no top-level await, so importing this module costs nothing), and every
 * Sha256 swaps its own state in (save/load, a few hundred bytes) when it is the one being updated.
 */
import { createSHA256, type IHasher } from 'hash-wasm';

let instance: Promise<IHasher> | null = null;
let wasm: IHasher;
/** The Sha256 whose state the wasm instance holds now. */
let owner: Sha256 | undefined;

export class Sha256 {
  private state: Uint8Array | undefined;
  private result: Uint8Array | undefined;

  static async create(): Promise<Sha256> {
    instance ??= createSHA256();
    wasm = await instance;
    return new Sha256();
  }

  private constructor() {
    if (owner) owner.state = wasm.save();
    wasm.init();
    this.state = wasm.save();
    owner = this;
  }

  update(bytes: Uint8Array): this {
    if (this.result) throw new Error('Sha256: update after digest');
    this.own();
    wasm.update(bytes);
    return this;
  }

  digest(): Uint8Array {
    if (!this.result) {
      this.own();
      this.result = wasm.digest('binary');
      this.state = undefined;
      owner = undefined;
    }
    return this.result.slice();
  }

  hex(): string {
    return Array.from(this.digest(), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  private own(): void {
    if (owner === this) return;
    if (owner) owner.state = wasm.save();
    wasm.load(this.state!);
    owner = this;
  }
}

/** A 64-hex-digit string: what an LFS ETag is when it is the file's sha256. */
export function isSha256Hex(s: string | undefined): s is string {
  return s !== undefined && /^[0-9a-f]{64}$/i.test(s);
}
