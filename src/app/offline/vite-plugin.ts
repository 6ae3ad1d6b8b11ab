/**
 * Vite plugin (build only): once the build is written, bundles ./service-worker.ts into `sw.js`
 * beside `index.html`, with the list of every file the build wrote (the app shell, the engine
 * worker, the public files: manifest, icons, the built-in model) and a version hashed from their
 * contents, so that each build's `sw.js` differs and replaces the last one's cache.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import type { Plugin, ResolvedConfig } from 'vite';

export const SW_FILE = 'sw.js';
const ENTRY = fileURLToPath(new URL('./service-worker.ts', import.meta.url));

/** Files under `dir`, relative with forward slashes. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p).map((f) => `${name}/${f}`) : [name];
  });
}

/** What the service worker keeps: all the build wrote but source maps and itself. */
export function precacheList(outDir: string): string[] {
  return filesUnder(outDir).filter((f) => f !== SW_FILE && !f.endsWith('.map')).sort();
}

export function serviceWorker(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'dit-service-worker',
    apply: 'build',
    configResolved(c) {
      config = c;
    },
    async closeBundle() {
      const outDir = resolve(config.root, config.build.outDir);
      if (!existsSync(join(outDir, 'index.html'))) return; // the build failed: nothing to cache
      const files = precacheList(outDir);
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update('\0').update(readFileSync(join(outDir, f))).update('\0');
      const out = await esbuild({
        entryPoints: [ENTRY],
        bundle: true,
        write: false,
        format: 'iife',
        target: 'es2022',
        minify: true,
        define: { __DIT_PRECACHE__: JSON.stringify(files), __DIT_CACHE_VERSION__: JSON.stringify(hash.digest('hex').slice(0, 16)) },
      });
      writeFileSync(join(outDir, SW_FILE), out.outputFiles[0].contents);
      config.logger.info(`${relative(config.root, outDir).split(sep).join('/') || '.'}/${SW_FILE}: ${files.length} files for offline use`);
    },
  };
}
