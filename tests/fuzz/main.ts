/**
 * `npm run fuzz`: the weights parsers under seeded fuzzing, long mode (issue 16). The quick mode,
 * the same generators at small sizes, runs in `npm test` (tests/unit/weights/fuzz.test.ts).
 *
 *   npm run fuzz                        100 000 cases of each kind (safetensors, zip, pickle), then the hostile files
 *   npm run fuzz -- --quick             3000 / 1000 / 1000 cases, as `npm test` runs them
 *   npm run fuzz -- --cases N [--kind safetensors|zip|pickle] [--seed S] [--from I] [--json FILE]
 *
 * Each kind runs in a worker thread whose heap is capped at 256 MiB and which must make progress:
 * a case that throws anything but a WeightsError, reads outside its file, runs out of heap or runs
 * for 30 s fails the run, named by kind, seed and index (replay it with --kind K --seed S --from I
 * --cases 1). Then every hostile file of tests/fuzz/hostile.ts is opened in a fresh process and
 * its refusal, time and peak memory reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { KINDS, SEEDS, type Kind } from './cases.ts';
import { HOSTILE } from './hostile.ts';
import { probeFiles, type ProbeResult } from './probe-client.ts';
import type { WorkerInput, WorkerOutput } from './worker.ts';

const HEAP_CAP_MB = 256;
/** Workers do not inherit the main thread's module hooks: this one registers tsx, then loads worker.ts. */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`;
const HANG_MS = 30_000;
const QUICK: Record<Kind, number> = { safetensors: 3000, zip: 1000, pickle: 1000 };
const MiB = 1024 * 1024;

interface KindResult {
  kind: Kind;
  seed: number;
  from: number;
  cases: number;
  codes: Record<string, number>;
  seconds: number;
  slowestMs: number;
  slowest: string;
  maxHeapMiB: number;
  largestBytes: number;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function runKind(kind: Kind, seed: number, from: number, cases: number): Promise<KindResult> {
  const current = new SharedArrayBuffer(4);
  const seen = new Int32Array(current);
  const input: WorkerInput = { kind, seed, from, cases, current };
  const worker = new Worker(WORKER_BOOT, { eval: true, workerData: input, resourceLimits: { maxOldGenerationSizeMb: HEAP_CAP_MB } });
  const replay = (i: number) => `--kind ${kind} --seed ${seed} --from ${i} --cases 1`;
  return new Promise((resolve, reject) => {
    let last = -1;
    let lastChange = performance.now();
    const watch = setInterval(() => {
      const i = Atomics.load(seen, 0);
      if (i !== last) { last = i; lastChange = performance.now(); return; }
      if (performance.now() - lastChange > HANG_MS) {
        clearInterval(watch);
        void worker.terminate();
        reject(new Error(`${kind} case ${i} ran for more than ${HANG_MS / 1000} s (replay: ${replay(i)})`));
      }
    }, 1000);
    worker.on('message', (m: WorkerOutput) => {
      clearInterval(watch);
      if (m.type === 'fail') return reject(new Error(`${m.what} threw something other than a WeightsError (replay: ${replay(m.index)}):\n${m.error}`));
      resolve({
        kind, seed, from, cases, codes: m.codes, seconds: m.ms / 1000, slowestMs: m.slowestMs, slowest: m.slowest,
        maxHeapMiB: m.maxHeapBytes / MiB, largestBytes: m.largestBytes,
      });
    });
    worker.on('error', (e) => {
      clearInterval(watch);
      const i = Atomics.load(seen, 0);
      reject(new Error(`${kind} case ${i} broke its worker (${(e as Error).message}; heap cap ${HEAP_CAP_MB} MiB) (replay: ${replay(i)})`));
    });
  });
}

async function hostileFiles(): Promise<Array<ProbeResult & { name: string; bytes: number }>> {
  const dir = mkdtempSync(join(tmpdir(), 'dit-fuzz-'));
  try {
    const names = Object.keys(HOSTILE);
    const sizes: number[] = [];
    const files = names.map((name, i) => {
      const bytes = HOSTILE[name]();
      sizes.push(bytes.byteLength);
      const file = join(dir, `${i}.bin`);
      writeFileSync(file, bytes);
      return file;
    });
    return (await probeFiles(files)).map((r, i) => ({ ...r, name: names[i], bytes: sizes[i] }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<number> {
  const quick = args.includes('--quick');
  const only = arg(args, 'kind') as Kind | undefined;
  if (only && !KINDS.includes(only)) throw new Error(`--kind must be one of ${KINDS.join(', ')}`);
  const cases = arg(args, 'cases');
  const from = Number(arg(args, 'from') ?? 0);
  const started = performance.now();
  const results: KindResult[] = [];
  for (const kind of only ? [only] : KINDS) {
    const n = cases !== undefined ? Number(cases) : quick ? QUICK[kind] : 100_000;
    const seed = Number(arg(args, 'seed') ?? SEEDS[kind]);
    const r = await runKind(kind, seed, from, n);
    results.push(r);
    const codes = Object.entries(r.codes).sort((a, b) => b[1] - a[1]).map(([c, k]) => `${c} ${k}`).join(', ');
    console.log(`${kind.padEnd(11)} seed ${seed}, cases ${from}-${from + n - 1}: ${r.seconds.toFixed(1)} s; ${codes}`);
    console.log(`${''.padEnd(11)} slowest ${r.slowestMs.toFixed(0)} ms (${r.slowest}); heap at most ${r.maxHeapMiB.toFixed(1)} MiB after a case (cap ${HEAP_CAP_MB} MiB); largest input ${r.largestBytes} bytes`);
  }
  const hostile = args.includes('--no-hostile') ? [] : await hostileFiles();
  for (const h of hostile) {
    const verdict = h.outcome === 'WeightsError' ? `refused (${h.code})` : h.outcome;
    console.log(`hostile: ${h.name} (${(h.bytes / MiB).toFixed(1)} MiB): ${verdict} in ${h.ms.toFixed(0)} ms, peak memory +${(h.peakGrowthBytes / MiB).toFixed(0)} MiB: ${h.message}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const total = results.reduce((n, r) => n + r.cases, 0);
  console.log(`${total} fuzz cases, ${hostile.length} hostile files, ${seconds.toFixed(0)} s in all; every case loaded or was refused with a WeightsError`);
  const json = arg(args, 'json');
  if (json) writeFileSync(json, JSON.stringify({ node: process.version, seconds, results, hostile }, null, 1));
  const bad = hostile.filter((h) => h.outcome !== 'WeightsError');
  if (bad.length) {
    console.error(`hostile files not refused with a WeightsError: ${bad.map((h) => h.name).join(', ')}`);
    return 1;
  }
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(`fuzz: ${(e as Error).message}`);
  process.exitCode = 1;
});
