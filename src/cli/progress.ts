/** A download progress bar on stderr: only on a terminal, and never with --quiet. */
import type { LoadProgress } from '../engine/api.ts';

const mb = (n: number) => (n / 2 ** 20).toFixed(1);

export function progressPrinter(quiet: boolean): ((p: LoadProgress) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    const done = p.loadedBytes >= p.totalBytes;
    if (!done && now - last < 200) return;
    last = now;
    const frac = p.totalBytes ? p.loadedBytes / p.totalBytes : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const speed = p.bytesPerSecond ? ` ${mb(p.bytesPerSecond)} MB/s` : '';
    const eta = !done && Number.isFinite(p.etaSeconds) && p.etaSeconds > 0 ? ` ETA ${Math.ceil(p.etaSeconds)} s` : '';
    process.stderr.write(`\r${p.file.slice(-40)} [${bar}] ${mb(p.loadedBytes)}/${mb(p.totalBytes)} MB${speed}${eta}${p.fromCache ? ' (cached)' : ''}\x1b[K${done ? '\n' : ''}`);
  };
}
