/**
 * The app's benchmark page's worker: an Engine of its own (apart from the studio's) and the quick
 * benchmark beside it (engine/bench/quick.ts), behind comlink.
 */
import { expose } from 'comlink';
import { runQuickBench } from '../engine/bench/quick.ts';
import type { BenchReport } from '../engine/bench/report.ts';
import type { TimingOptions } from '../engine/bench/timing.ts';
import { Engine } from '../engine/engine.ts';

export interface BenchWorkerApi {
  /** The quick entries on this adapter; `onEntry` hears each entry's name as it starts. */
  runQuick(timing: TimingOptions, onEntry?: (name: string) => void): Promise<BenchReport>;
}

const engine = new Engine(new URL(`${import.meta.env.BASE_URL}models/builtin/`, self.location.origin).href);

expose({ runQuick: (timing, onEntry) => runQuickBench(engine, timing, onEntry) } satisfies BenchWorkerApi);
