// WGSL sources are imported as text (Vite plugin in vite.config.ts, esbuild `text` loader in the host bundler).
declare module '*.wgsl' {
  const source: string;
  export default source;
}
