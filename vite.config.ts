import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { serviceWorker } from './src/app/offline/vite-plugin.ts';

/** Imports `shaders/*.wgsl` as a string, the same way the headless host's esbuild bundle does. */
export function wgslText(): Plugin {
  return {
    name: 'wgsl-text',
    transform(code, id) {
      if (!id.endsWith('.wgsl')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}

export default defineConfig({
  plugins: [react(), wgslText(), serviceWorker()],
  worker: { format: 'es', plugins: () => [wgslText()] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    // Two pages: the studio, and the benchmark page (src/app/bench/) linked from its footer.
    rolldownOptions: { input: { main: fileURLToPath(new URL('./index.html', import.meta.url)), bench: fileURLToPath(new URL('./bench.html', import.meta.url)) } },
  },
  server: { host: '127.0.0.1' },
});
