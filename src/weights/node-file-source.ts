/** ByteSource over a local file. Node only: browser bundles must not import this module. */
import { open, stat } from 'node:fs/promises';
import { WeightsError, throwIfAborted } from './errors.ts';
import { checkReadRange, type ByteSource } from './source.ts';

export async function openFileSource(path: string): Promise<ByteSource> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new WeightsError('unsupported', `${path} is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    throw new WeightsError('not-found', `cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  const source: ByteSource = {
    name: path,
    size,
    async read(begin, end, signal) {
      throwIfAborted(signal);
      checkReadRange(source, begin, end);
      return readFileRange(path, begin, end);
    },
  };
  return source;
}

/** Exactly bytes [begin, end) of a file; the handle is opened per read so nothing needs closing. */
export async function readFileRange(path: string, begin: number, end: number): Promise<Uint8Array> {
  const out = new Uint8Array(end - begin);
  const fh = await open(path, 'r');
  try {
    let filled = 0;
    while (filled < out.byteLength) {
      const { bytesRead } = await fh.read(out, filled, out.byteLength - filled, begin + filled);
      if (bytesRead === 0) throw new WeightsError('truncated', `${path}: file ended at ${begin + filled} while reading up to ${end} (did it change?)`);
      filled += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return out;
}
