/**
 * A lost GPU device (a driver reset, `device.destroy()`) rejects the work in flight — a buffer
 * being mapped for reading — with an AbortError, the name a cancelled run's error has too. The
 * app would then say "Cancelled." and keep a dead engine; this tells the two apart.
 */
import { GpuError, type Gpu } from '../gpu/device.ts';

/** How long to wait for `device.lost` to settle after the work it failed was rejected. */
const LOST_SETTLE_MS = 1000;

/** The device-lost error behind `e`, or null when the device is fine. */
export async function lostDeviceError(gpu: Gpu, e: unknown, settleMs = LOST_SETTLE_MS): Promise<GpuError | null> {
  if (!gpu.lostReason && (e as { name?: unknown } | null)?.name === 'AbortError') {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([gpu.device.lost, new Promise((r) => (timer = setTimeout(r, settleMs)))]);
    clearTimeout(timer);
  }
  return gpu.lostReason ? new GpuError('lost', gpu.lostReason) : null;
}
