/**
 * Runs the quick benchmark in a worker of its own (src/worker/bench.worker.ts), apart from the
 * studio's engine; one run per worker, which is ended with the run.
 */
import { proxy, wrap } from 'comlink';
import type { BenchReport } from '../../engine/bench/report';
import type { TimingOptions } from '../../engine/bench/timing';
import type { BenchWorkerApi } from '../../worker/bench.worker';

/** The command line's defaults (`npm run bench -- --quick`): 3 timed runs after 1 warm-up. */
export const QUICK_TIMING: TimingOptions = { warmup: 1, runs: 3 };

export async function runQuickBenchmark(onEntry: (name: string) => void, timing = QUICK_TIMING): Promise<BenchReport> {
  const worker = new Worker(new URL('../../worker/bench.worker.ts', import.meta.url), { type: 'module', name: 'dit-bench' });
  try {
    const failed = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (ev) => {
        ev.preventDefault?.();
        reject(new Error(`The benchmark worker failed: ${ev.message || 'unknown error'}`));
      });
    });
    return await Promise.race([wrap<BenchWorkerApi>(worker).runQuick(timing, proxy(onEntry)), failed]);
  } finally {
    worker.terminate();
  }
}
