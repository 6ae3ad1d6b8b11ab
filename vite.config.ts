import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

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
  plugins: [react(), wgslText()],
  worker: { format: 'es', plugins: () => [wgslText()] },
  build: { target: 'es2022', outDir: 'dist' },
  server: { host: '127.0.0.1' },
});
