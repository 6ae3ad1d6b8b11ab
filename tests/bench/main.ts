/**
 * `npm run bench [-- --quick | --full] [--json FILE] [--runs N] [--only NAME,...] [--no-peer]`
 *
 * Runs the engine and its peer (onnxruntime-web, WebGPU and wasm execution providers, on the
 * same model, weights and inputs) side by side in one headless Chromium, and prints a table.
 * Every time is the median of `runs` timed runs after `warmup` untimed ones, measured in the
 * browser (no Node↔page transfer inside a time); only a VAE decode that takes over 20 minutes
 * is timed once, and its entry says so (vae.ts).
 */
import { writeFileSync } from 'node:fs';
import { startTestHost } from '../support/test-host.ts';
import type { AdapterSummary } from '../../src/engine/api.ts';
import { benchTable, type BenchReport, reportAdapter, reportJson } from '../../src/engine/bench/report.ts';
import { type BenchContext, type BenchOptions, CACHE, cachePath, type Entry } from './context.ts';
import { forwardEntries } from './forward.ts';
import { kernelEntries } from './kernels.ts';
import { ORT_DIST, Peer, writePeerPage } from './peer/peer.ts';
import { vaeEntries } from './vae.ts';

const USAGE = `usage: npm run bench -- [--quick | --full] [--json FILE] [--runs N] [--warmup N] [--only NAME,...] [--no-peer] [--ort-threads N] [--profile] [--verbose]
  --quick        a seconds-long subset (smoke test; no thresholds)
  --full         adds the slow entries (DiT-XL/2 forward, SD-VAE decodes at 256 and 512 px)
  --json FILE    writes the results as JSON
  --runs N       timed runs per measurement (default 3); medians are reported
  --only A,B     only entries whose name contains A or B
  --no-peer      skip onnxruntime-web
  --ort-threads  wasm threads for onnxruntime-web (default: its own default)
  --profile      also time each dispatch of the DiT forwards alone and sum by kernel (JSON: profile)`;

export function parseBenchArgs(argv: string[]): BenchOptions & { json: string | null } {
  const o = { quick: false, full: false, runs: 0, warmup: 1, noPeer: false, only: [] as string[], verbose: false, profile: false, ortThreads: 0, json: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const int = (min: number) => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new Error(`${a} must be an integer ≥ ${min}`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--full') o.full = true;
    else if (a === '--json') o.json = value();
    else if (a === '--runs') o.runs = int(3);
    else if (a === '--warmup') o.warmup = int(1);
    else if (a === '--only') o.only = value().split(',').filter(Boolean);
    else if (a === '--no-peer') o.noPeer = true;
    else if (a === '--ort-threads') o.ortThreads = int(1);
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (o.quick && o.full) throw new Error('--quick and --full exclude each other');
  o.runs ||= 3;
  return o;
}




export async function main(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof parseBenchArgs>;
  try {
    opts = parseBenchArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const started = performance.now();
  const log = (l: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${l}\n`);
  const www = await writePeerPage();
  cachePath('data', '.keep');
  const host = await startTestHost({ verbose: opts.verbose, staticRoutes: { '/ort/': ORT_DIST, '/bench/': www, '/cache/': CACHE } });
  const entries: Entry[] = [];
  let adapter: AdapterSummary;
  let peerInfo: unknown = null;
  let kernelChoices: unknown = {};
  try {
    adapter = await host.api.engine.init();
    log(`adapter: ${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
    const ctx: BenchContext = { opts, host, peer: null, log };
    if (opts.noPeer) ctx.peerMissing = 'disabled (--no-peer)';
    else {
      try {
        ctx.peer = await Peer.open(host, { wasmThreads: opts.ortThreads, verbose: opts.verbose });
        peerInfo = ctx.peer.info;
        log(`peer: onnxruntime-web ${ctx.peer.info.ortVersion}, wasm threads ${ctx.peer.info.wasmThreadsRequested ?? 'its default'}, cross-origin isolated ${ctx.peer.info.crossOriginIsolated}`);
      } catch (e) {
        ctx.peerMissing = `onnxruntime-web did not start: ${(e as Error).message}`;
        log(`peer: ${ctx.peerMissing}`);
      }
    }
    const families: [string, () => Promise<Entry[]>][] = [
      ['forward', () => forwardEntries(ctx)],
      ['kernels', () => kernelEntries(ctx)],
    ];
    // The real SD-VAE decode is ~0.6 TFLOP at 256 px, ~2.5 at 512 px: many minutes each on
    // SwiftShader. Only with --full.
    if (opts.full) families.push(['vae', () => vaeEntries(ctx)]);
    if (!opts.quick) families.push(['first-step', async () => (await import('./first-step.ts')).firstStepEntries(ctx)]);
    if (!opts.quick) families.push(['memory', async () => (await import('./memory.ts')).memoryEntries(ctx, adapter)]);
    for (const [family, run] of families) {
      try {
        entries.push(...(await run()));
      } catch (e) {
        log(`${family} FAILED: ${(e as Error).stack ?? e}`);
        entries.push({ name: family, measures: '', skipped: `failed: ${(e as Error).message}` });
      }
    }
    kernelChoices = await host.api.engine.kernelChoices();
    log(`autotune: ${JSON.stringify(kernelChoices)}`);
  } finally {
    await host.close();
  }
  const result: BenchReport = {
    adapter: reportAdapter(adapter!),
    date: new Date().toISOString(),
    mode: opts.quick ? 'quick' : opts.full ? 'full' : 'default',
    runs: opts.runs, warmup: opts.warmup,
    peer: peerInfo,
    kernel_choices: kernelChoices,
    machine: { platform: process.platform, arch: process.arch, cpus: (await import('node:os')).cpus().length, node: process.version },
    entries,
  };
  process.stdout.write(`${benchTable(entries)}\n`);
  if (opts.json) {
    writeFileSync(opts.json, reportJson(result));
    log(`wrote ${opts.json}`);
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return entries.some((e) => e.skipped?.startsWith('failed')) ? 1 : 0;
}
