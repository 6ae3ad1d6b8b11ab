import { describe, expect, it } from 'vitest';
import '../../support/webgpu-constants.ts';
import { tensorReadSource, WHOLE_READ_BYTES } from '../../../src/engine/model-loader.ts';
import type { ByteSource } from '../../../src/weights/source.ts';

/** A source of `size` patterned bytes that records each read's range. */
function countingSource(size: number, rangeReads: boolean | undefined): ByteSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    name: 'fake', size, rangeReads, reads,
    async read(begin, end) {
      reads.push([begin, end]);
      return Uint8Array.from({ length: end - begin }, (_, i) => (begin + i) * 7);
    },
  };
}

describe('tensorReadSource', () => {
  it('keeps reading a large file with Range support tensor by tensor', async () => {
    const file = countingSource(WHOLE_READ_BYTES + 1, true);
    expect(await tensorReadSource(file)).toBe(file);
    expect(file.reads).toEqual([]);
  });

  it('reads a file from a server without Range support once, then serves every tensor from memory', async () => {
    const file = countingSource(WHOLE_READ_BYTES + 1, false);
    const src = await tensorReadSource(file);
    expect(await src.read(5, 9)).toEqual(Uint8Array.from([35, 42, 49, 56]));
    await src.read(1000, 2000);
    expect(file.reads).toEqual([[0, WHOLE_READ_BYTES + 1]]);
  });

  it('reads a small file in one request', async () => {
    const file = countingSource(1000, undefined);
    const src = await tensorReadSource(file);
    expect(await src.read(998, 1000)).toEqual(Uint8Array.from([(998 * 7) & 255, (999 * 7) & 255]));
    expect(file.reads).toEqual([[0, 1000]]);
  });
});
