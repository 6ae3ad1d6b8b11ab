/**
 * `npm run builtin:metrics [-- --out FILE]`: issue 13's metrics of the committed built-in weights,
 * measured through the engine in the same headless host as the GPU tests
 * (tests/gpu/builtin-metrics.test.ts asserts the targets on the same figures). Prints the table and
 * writes the JSON (default public/models/builtin/engine-metrics.json), which
 * tools/builtin/model_card.py renders into the model card.
 */
import { writeFileSync } from 'node:fs';
import { BUILTIN_DIR } from '../../src/cli/builtin-model.ts';
import { formatReport, loadBuiltinTemplates, measureBuiltin, reportJson } from './builtin-eval.ts';
import { startTestHost } from './test-host.ts';

const USAGE = 'usage: npm run builtin:metrics [-- --out FILE]';

function outPath(argv: string[]): string {
  if (argv.length === 0) return `${BUILTIN_DIR}engine-metrics.json`;
  if (argv.length === 2 && argv[0] === '--out') return argv[1];
  throw new Error(USAGE);
}

async function main(argv: string[]): Promise<void> {
  const out = outPath(argv);
  const templates = loadBuiltinTemplates();
  const host = await startTestHost();
  try {
    const report = await measureBuiltin(host.api.engine, templates);
    console.log(formatReport(report));
    writeFileSync(out, reportJson(report));
    console.log(`wrote ${out}`);
  } finally {
    await host.close();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
