#!/usr/bin/env node
// `npx dit …`: runs the TypeScript command line directly (tsx), so no build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
