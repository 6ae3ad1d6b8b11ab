/**
 * One recorded kernel (or a few dispatches) timed two ways, for the benchmarks' kernel entries:
 * GPU-only, the recording replayed on data already on the GPU (submit to done), and CPU to CPU,
 * the activations written, the replay, every output read back (the peer's semantics).
 */
import type { Gpu } from '../../gpu/device.ts';
import type { Program } from '../../gpu/program.ts';
import { readTensor, type Tensor, writeTensor } from '../../gpu/tensor.ts';
import { PassTimer } from './timing.ts';

/** `repeats` replays, each from submit to done; `passTimes`: the GPU's own time of each (timestamp queries; null without). */
export async function replayTimes(gpu: Gpu, prog: Program, repeats: number): Promise<{ times: number[]; passTimes: (number | null)[] }> {
  const timer = PassTimer.create(gpu);
  const times: number[] = [];
  const passTimes: (number | null)[] = [];
  const replay = async () => {
    const t0 = performance.now();
    prog.submit();
    await gpu.device.queue.onSubmittedWorkDone();
    times.push(performance.now() - t0);
  };
  try {
    for (let i = 0; i < repeats; i++) passTimes.push(timer ? (await timer.time(replay)).gpuMs : (await replay(), null));
  } finally {
    timer?.destroy();
  }
  return { times, passTimes };
}

/** CPU to CPU: per run, `inputs` written again, one replay, every output read back; `warmup` untimed runs first. */
export async function ioTimes(gpu: Gpu, prog: Program, inputs: { tensor: Tensor; data: Float32Array | Int32Array }[], outputs: Tensor[], warmup: number, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    for (const { tensor, data } of inputs) writeTensor(gpu, tensor, data);
    prog.submit();
    for (const t of outputs) await readTensor(gpu, t);
    if (i >= warmup) times.push(performance.now() - t0);
  }
  return times;
}
