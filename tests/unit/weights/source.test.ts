import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { openFileSource } from '../../../src/weights/node-file-source.ts';
import { blobSource, bytesSource, countingSource, type ByteSource } from '../../../src/weights/source.ts';

const dir = mkdtempSync(join(tmpdir(), 'dit-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);

async function checkSource(s: ByteSource) {
  expect(s.size).toBe(1000);
  expect(await s.read(0, 0)).toEqual(new Uint8Array(0));
  expect(await s.read(10, 20)).toEqual(data.slice(10, 20));
  expect(await s.read(0, 1000)).toEqual(data);
  await expect(s.read(990, 1001)).rejects.toMatchObject({ code: 'truncated' });
  await expect(s.read(-1, 5)).rejects.toBeInstanceOf(WeightsError);
  await expect(s.read(5, 4)).rejects.toBeInstanceOf(WeightsError);
  await expect(s.read(0.5, 4)).rejects.toBeInstanceOf(WeightsError);
  const ac = new AbortController();
  ac.abort();
  await expect(s.read(0, 4, ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
}

describe('byte sources', () => {
  it('bytesSource reads exact ranges and refuses others', async () => checkSource(bytesSource(data, 'mem')));
  it('blobSource reads exact ranges and refuses others', async () => {
    const s = blobSource(new Blob([data]), 'blob.bin');
    expect(s.name).toBe('blob.bin');
    await checkSource(s);
  });
  it('blobSource takes a File name', () => {
    expect(blobSource(new File([data], 'model.safetensors')).name).toBe('model.safetensors');
  });
  it('openFileSource reads exact ranges and refuses others', async () => {
    const p = join(dir, 'a.bin');
    writeFileSync(p, data);
    await checkSource(await openFileSource(p));
  });
  it('openFileSource names a missing file', async () => {
    await expect(openFileSource(join(dir, 'nope.bin'))).rejects.toThrow(/nope\.bin/);
  });
  it('openFileSource notices a file that shrank', async () => {
    const p = join(dir, 'b.bin');
    writeFileSync(p, data);
    const s = await openFileSource(p);
    writeFileSync(p, data.slice(0, 100));
    await expect(s.read(50, 200)).rejects.toMatchObject({ code: 'truncated' });
    expect(readFileSync(p).length).toBe(100);
  });
  it('countingSource reports bytes read', async () => {
    let n = 0;
    const s = countingSource(bytesSource(data), (b) => { n += b; });
    await s.read(0, 10);
    await s.read(100, 300);
    expect(n).toBe(210);
  });
});
