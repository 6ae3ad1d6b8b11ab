/** Runs tests/fuzz/heap-probe.ts over some files in a fresh Node process capped at 512 MiB of heap. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProbeResult } from './heap-probe.ts';

export type { ProbeResult };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function probeFiles(files: string[]): Promise<ProbeResult[]> {
  const args = ['--max-old-space-size=512', '--expose-gc', '--import', 'tsx', 'tests/fuzz/heap-probe.ts', ...files];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`the heap probe failed (${err.message}) after: ${stdout}${stderr.slice(-2000)}`));
      resolve(stdout.trim().split('\n').map((l) => JSON.parse(l) as ProbeResult));
    });
  });
}
