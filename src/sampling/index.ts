/** Diffusion sampling math (see README.md): schedules, noise, guidance, sampler steps, the loop. */
export * from './schedule.ts';
export * from './noise.ts';
export * from './guidance.ts';
export * from './samplers.ts';
export * from './loop.ts';
