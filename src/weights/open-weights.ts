/** Opens a weights file of either format, told apart by its first bytes. */
import { WeightsError } from './errors.ts';
import { openSafetensors, type OpenedSafetensors } from './safetensors.ts';
import type { ByteSource } from './source.ts';
import { openTorchZip, type OpenedTorchZip, type TorchZipOptions } from './torch-zip.ts';

export type OpenedWeights = OpenedSafetensors | OpenedTorchZip;

/** Pickle protocol 2, then LONG1 of the legacy torch.save magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_TORCH = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export async function openWeights(source: ByteSource, options: TorchZipOptions = {}): Promise<OpenedWeights> {
  const head = await source.read(0, Math.min(source.size, LEGACY_TORCH.length), options.signal);
  if (head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) {
    return openTorchZip(source, options);
  }
  if (head.byteLength === LEGACY_TORCH.length && LEGACY_TORCH.every((b, i) => head[i] === b)) {
    throw new WeightsError('unsupported', `${source.name}: legacy (pre-1.6) torch.save format; load it in PyTorch and save it again with torch.save, or convert it to safetensors`);
  }
  return openSafetensors(source, options.signal);
}
