#!/usr/bin/env node
// `npm run bench -- …`: the benchmarks (tests/bench/main.ts), run through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../tests/bench/main.ts');
process.exitCode = await main(process.argv.slice(2));
