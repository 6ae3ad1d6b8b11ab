/** Bundles the engine page and a worker entry for the headless host, in memory, with esbuild. */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const WORKER_DIR = fileURLToPath(new URL('../worker/', import.meta.url));

/** The `dit` command line's worker: the Engine alone. */
export const HEADLESS_WORKER = `${WORKER_DIR}headless.worker.ts`;

export interface EngineBundle {
  pageJs: string;
  workerJs: string;
}

const cached = new Map<string, Promise<EngineBundle>>();

export function bundleEngine(workerEntry = HEADLESS_WORKER): Promise<EngineBundle> {
  let bundle = cached.get(workerEntry);
  if (!bundle) {
    bundle = (async () => {
      const result = await build({
        entryPoints: { page: `${WORKER_DIR}headless-page.ts`, worker: workerEntry },
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
    cached.set(workerEntry, bundle);
  }
  return bundle;
}
