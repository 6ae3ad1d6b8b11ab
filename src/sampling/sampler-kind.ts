import type { SamplerStepMode } from '../gpu/ops.ts';

/** The samplers the engine runs, spelled once: the app, the command line and the GPU loop use these names. */
export const SAMPLER_KINDS = ['ddpm', 'ddim', 'dpm++'] as const;

/** DDPM ancestral sampling (learned-range variance), DDIM (eta), DPM-Solver++(2M). */
export type SamplerKind = (typeof SAMPLER_KINDS)[number];

/** The update rule of shaders/sampler_step.wgsl that each sampler runs. */
export const SAMPLER_STEP_MODE: Record<SamplerKind, SamplerStepMode> = { ddpm: 0, ddim: 1, 'dpm++': 2 };

export function isSamplerKind(name: unknown): name is SamplerKind {
  return (SAMPLER_KINDS as readonly unknown[]).includes(name);
}
