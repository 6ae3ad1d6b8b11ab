/** Bundles the engine page and worker for the headless host, in memory, with esbuild. */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));

export interface EngineBundle {
  pageJs: string;
  workerJs: string;
}

let cached: Promise<EngineBundle> | null = null;

export function bundleEngine(): Promise<EngineBundle> {
  cached ??= (async () => {
    const result = await build({
      entryPoints: { page: `${HERE}page.ts`, worker: `${HERE}headless.worker.ts` },
      bundle: true,
      format: 'esm',
      target: 'es2022',
      write: false,
      outdir: '/virtual',
      loader: { '.wgsl': 'text' },
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    const file = (name: string) => {
      const f = result.outputFiles.find((o) => o.path.endsWith(`/${name}.js`));
      if (!f) throw new Error(`engine bundle lacks ${name}.js`);
      return f.text;
    };
    return { pageJs: file('page'), workerJs: file('worker') };
  })();
  return cached;
}
