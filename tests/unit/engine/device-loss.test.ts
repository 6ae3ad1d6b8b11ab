/** lostDeviceError: a lost device's AbortError is a device loss, not a cancel. */
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../../src/gpu/device.ts';
import { lostDeviceError } from '../../../src/engine/device-loss.ts';

/** A Gpu whose device is lost when `lose()` is called, as createGpu wires `device.lost`. */
function fakeGpu(): { gpu: Gpu; lose(): void } {
  let lose!: (info: { reason: string; message: string }) => void;
  const lost = new Promise<{ reason: string; message: string }>((r) => (lose = r));
  const gpu = { device: { lost } as unknown as GPUDevice, lostReason: null } as Gpu;
  lost.then((l) => { gpu.lostReason = `the GPU device was lost (${l.reason}): ${l.message}`; });
  return { gpu, lose: () => lose({ reason: 'destroyed', message: 'Device was destroyed.' }) };
}

const abort = () => new DOMException('Device is lost', 'AbortError');

describe('lostDeviceError', () => {
  it('an AbortError that comes before device.lost settles: waits for it and names the loss', async () => {
    const { gpu, lose } = fakeGpu();
    setTimeout(lose, 20);
    const e = await lostDeviceError(gpu, abort());
    expect(e).toMatchObject({ name: 'GpuError', kind: 'lost', message: 'the GPU device was lost (destroyed): Device was destroyed.' });
  });

  it('any error once the device is lost', async () => {
    const { gpu, lose } = fakeGpu();
    lose();
    await Promise.resolve();
    expect(await lostDeviceError(gpu, new Error('mapAsync failed'))).toMatchObject({ kind: 'lost' });
  });

  it('null while the device is fine: an AbortError after a short wait, other errors at once', async () => {
    const { gpu } = fakeGpu();
    expect(await lostDeviceError(gpu, abort(), 30)).toBeNull();
    const t0 = performance.now();
    expect(await lostDeviceError(gpu, new Error('validation'))).toBeNull();
    expect(performance.now() - t0).toBeLessThan(20);
  });
});
