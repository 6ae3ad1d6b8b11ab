#!/usr/bin/env node
// `npm run bench -- …`: the benchmarks (tests/bench/main.ts), run through tsx, no build step.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
// WGSL sources load as text (the memory entry runs the engine's recording code in Node).
const wgslLoader = `
import { readFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.endsWith('.wgsl')) return { format: 'module', shortCircuit: true, source: 'export default ' + JSON.stringify(readFileSync(new URL(url), 'utf8')) };
  return next(url, context);
}`;
registerHooks(`data:text/javascript,${encodeURIComponent(wgslLoader)}`);
const { main } = await import('../tests/bench/main.ts');
process.exitCode = await main(process.argv.slice(2));
