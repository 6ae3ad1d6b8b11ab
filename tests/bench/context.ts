/** What every benchmark family gets: options, the host, the peer, the cache folder, the results. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchEntry } from '../../src/engine/bench/report.ts';
import type { TestHost as BrowserHost } from '../support/test-host.ts';
import type { Peer } from './peer/peer.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Git-ignored: weights, ONNX files and inputs the bench generates. */
export const CACHE = join(ROOT, '.cache', 'bench');

export interface BenchOptions {
  quick: boolean;
  full: boolean;
  /** Timed runs per measurement (medians), after `warmup` untimed ones. */
  runs: number;
  warmup: number;
  /** Skip onnxruntime-web. */
  noPeer: boolean;
  /** Only entries whose name contains one of these. */
  only: string[];
  verbose: boolean;
  /** Also profile the DiT forwards by kernel (one pass per dispatch, timestamp queries). */
  profile: boolean;
  /** ORT wasm threads (0: onnxruntime-web's default). */
  ortThreads: number;
}

/** One entry of the results (src/engine/bench/report.ts: the format the app's benchmark page shares). */
export type Entry = BenchEntry;

export interface BenchContext {
  opts: BenchOptions;
  host: BrowserHost;
  peer: Peer | null;
  /** Why there is no peer, when there is none. */
  peerMissing?: string;
  log: (line: string) => void;
}

export function cachePath(...parts: string[]): string {
  const p = join(CACHE, ...parts);
  mkdirSync(dirname(p), { recursive: true });
  return p;
}

/** The page's URL of a file under the cache folder (served by the host's /cache/ route). */
export function cacheUrl(ctx: BenchContext, path: string): string {
  return `${ctx.host.origin}/cache/${relative(CACHE, path).split('\\').join('/')}`;
}

/** Writes raw typed-array bytes under the cache folder and returns the path. */
export function writeRaw(path: string, data: Float32Array | Int32Array | BigInt64Array): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return path;
}

export function wanted(ctx: BenchContext, name: string): boolean {
  return ctx.opts.only.length === 0 || ctx.opts.only.some((o) => name.includes(o));
}
