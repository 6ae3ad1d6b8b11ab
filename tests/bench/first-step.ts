/**
 * Time to the first step (issue 17): from a loaded model to its first sampling step ready to run,
 * record-only (tests/support/first-step-api.ts), for the built-in model and DiT-XL/2 at 256 px with
 * the SD-VAE. Each measurement in a fresh Chromium (nothing compiled, nothing tuned), the two ways
 * of compiling side by side: all at once ahead of the run (the engine now) and on first use (before).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../src/app/state/settings.ts';
import { NO_PEER } from '../../src/engine/bench/report.ts';
import { round, summarize } from '../../src/engine/bench/stats.ts';
import { type DitConfig, parseDitConfig, presetConfig } from '../../src/model/config.ts';
import type { FirstStepTiming } from '../support/first-step-api.ts';
import { startTestHost } from '../support/test-host.ts';
import { type BenchContext, type Entry, ROOT, wanted } from './context.ts';
import { SD_VAE_CONFIG, vaeDecoderShapes } from './vae.ts';

type Mode = 'lazy' | 'prepared';
/** The VAE's config and decoder shapes (latent models), null for pixel models. */
type VaeSpec = { config: unknown; shapes: Record<string, number[]> } | null;

async function timeIn(ctx: BenchContext, config: DitConfig, vae: VaeSpec, mode: Mode): Promise<FirstStepTiming> {
  const host = await startTestHost({ verbose: ctx.opts.verbose });
  try {
    return await host.api.firstStep.time(config, vae, mode);
  } finally {
    await host.close();
  }
}

async function entry(ctx: BenchContext, name: string, what: string, config: DitConfig, vae: VaeSpec, runs: number): Promise<Entry> {
  const t: Record<Mode, FirstStepTiming[]> = { lazy: [], prepared: [] };
  for (let r = 0; r < runs; r++) {
    for (const mode of ['lazy', 'prepared'] as const) {
      const run = await timeIn(ctx, config, vae, mode);
      ctx.log(`  ${mode}: tune ${round(run.tuneMs)} ms, first step ${round(run.firstStepMs)} ms (${run.compiled} pipelines compiled${run.allMs === undefined ? '' : `; ${run.later} more for the final image ready after ${round(run.allMs)} ms`})`);
      t[mode].push(run);
    }
  }
  const median = (runs: FirstStepTiming[], f: (r: FirstStepTiming) => number) => round(summarize(runs.map(f)).medianMs);
  const ours = median(t.prepared, (r) => r.firstStepMs);
  const lazy = median(t.lazy, (r) => r.firstStepMs);
  return {
    name,
    measures: `${what}: from the model loaded to its first sampling step ready to run (guidance 4, DDPM), record-only, each run in a fresh Chromium: every pipeline of the first step compiled at once ahead of it (ours_ms; the engine now) and on first use, one after another (lazy_ms; before); the autotune of its shapes comes first (tune_ms, a first visit only)`,
    ours_ms: ours, lazy_ms: lazy, lazy_over_ours: round(lazy / ours), ...NO_PEER, runs,
    tune_ms: median([...t.prepared, ...t.lazy], (r) => r.tuneMs),
    first_step_pipelines: t.prepared[0].compiled, later_pipelines: t.prepared[0].later,
    ...(t.prepared[0].later ? { all_ready_ms: median(t.prepared, (r) => r.allMs!), all_note: 'the final image\'s pipelines (the VAE decode) compile in the background while the steps run' } : {}),
    peer_skipped: 'no peer measure',
  };
}

/**
 * Time to a finished picture on the built-in model with the app's default settings (class, guidance,
 * steps, sampler), as a first-time visitor gets it: in a fresh Chromium, from "load the model" to
 * the final image (load, autotune, compiles, every step), then a second picture (nothing left to
 * tune or compile).
 */
async function builtinPictureEntry(ctx: BenchContext): Promise<Entry> {
  const params = { classId: DEFAULT_SETTINGS.classId, cfgScale: DEFAULT_SETTINGS.cfgScale, steps: DEFAULT_SETTINGS.steps, sampler: DEFAULT_SETTINGS.sampler, seed: DEFAULT_SETTINGS.seed };
  const first: number[] = [];
  const again: number[] = [];
  for (let r = 0; r < ctx.opts.runs; r++) {
    const host = await startTestHost({ verbose: ctx.opts.verbose });
    try {
      const t0 = performance.now();
      await host.api.engine.load({ kind: 'builtin' });
      await host.api.engine.generate(params);
      first.push(performance.now() - t0);
      const t1 = performance.now();
      await host.api.engine.generate({ ...params, seed: params.seed + 1 });
      again.push(performance.now() - t1);
    } finally {
      await host.close();
    }
    ctx.log(`  first picture ${round(first[r])} ms (from load), next ${round(again[r])} ms`);
  }
  return {
    name: 'picture-builtin',
    measures: `the built-in model with the app's defaults (class ${params.classId}, guidance ${params.cfgScale}, ${params.sampler} ${params.steps} steps): in a fresh Chromium, from loading the model to the finished picture (ours_ms: load, autotune, pipeline compiles, every step), and the next picture (again_ms)`,
    ours_ms: round(summarize(first).medianMs), again_ms: round(summarize(again).medianMs), runs: ctx.opts.runs, ...NO_PEER,
    peer_skipped: 'no peer measure',
  };
}

export async function firstStepEntries(ctx: BenchContext): Promise<Entry[]> {
  const out: Entry[] = [];
  if (wanted(ctx, 'picture-builtin')) {
    ctx.log('picture-builtin');
    out.push(await builtinPictureEntry(ctx));
  }
  if (wanted(ctx, 'first-step-builtin')) {
    ctx.log('first-step-builtin');
    const config = parseDitConfig(JSON.parse(readFileSync(join(ROOT, 'public/models/builtin/config.json'), 'utf8')));
    out.push(await entry(ctx, 'first-step-builtin', 'the built-in model (32 px, pixel space)', config, null, ctx.opts.runs));
  }
  if (wanted(ctx, 'first-step-xl2')) {
    ctx.log('first-step-xl2 (the autotune of DiT-XL/2\'s shapes takes minutes here)');
    out.push(await entry(ctx, 'first-step-xl2', 'DiT-XL/2 at 256 px with the SD-VAE (random weights on a dry device)', presetConfig('DiT-XL/2', 32), { config: SD_VAE_CONFIG, shapes: vaeDecoderShapes() }, 1));
  }
  return out;
}
