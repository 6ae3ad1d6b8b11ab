/**
 * One kind's fuzz cases, in a worker thread of tests/fuzz/main.ts (which caps its heap and watches
 * it for progress). The index of the case being run is kept in shared memory, so a case that
 * hangs or exhausts the heap can be named from outside.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { prng } from '../support/sources.ts';
import { attempt, buildCorpus, makeCase, type Kind } from './cases.ts';

export interface WorkerInput {
  kind: Kind;
  seed: number;
  /** Cases [from, from + cases) of the seeded sequence. */
  from: number;
  cases: number;
  /** [0]: the case running now. */
  current: SharedArrayBuffer;
}

export type WorkerOutput =
  | { type: 'done'; codes: Record<string, number>; ms: number; slowestMs: number; slowest: string; maxHeapBytes: number; largestBytes: number }
  | { type: 'fail'; index: number; what: string; error: string };

const input = workerData as WorkerInput;
const current = new Int32Array(input.current);
const post = (m: WorkerOutput) => parentPort!.postMessage(m);

const corpus = await buildCorpus();
const r = prng(input.seed);
const codes: Record<string, number> = {};
let slowestMs = 0;
let slowest = '';
let maxHeapBytes = 0;
let largestBytes = 0;
const t0 = performance.now();
for (let i = 0; i < input.from + input.cases; i++) {
  // Earlier cases are drawn (to keep the sequence) but not run.
  const { bytes, what } = makeCase(input.kind, corpus, r, i);
  if (i < input.from) continue;
  Atomics.store(current, 0, i);
  const c0 = performance.now();
  let code: string;
  try {
    code = await attempt(bytes, what);
  } catch (e) {
    post({ type: 'fail', index: i, what, error: String((e as Error)?.stack ?? e) });
    process.exit(1);
  }
  const ms = performance.now() - c0;
  if (ms > slowestMs) { slowestMs = ms; slowest = `${what} (${code})`; }
  codes[code] = (codes[code] ?? 0) + 1;
  largestBytes = Math.max(largestBytes, bytes.byteLength);
  maxHeapBytes = Math.max(maxHeapBytes, getHeapStatistics().used_heap_size);
}
post({ type: 'done', codes, ms: performance.now() - t0, slowestMs, slowest, maxHeapBytes, largestBytes });
