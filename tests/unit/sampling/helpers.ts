import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '../../../src/weights/safetensors.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/dit/', import.meta.url));

export function readFixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as T;
}

export function readFixtureSafetensors(name: string): SafetensorsFile {
  // Copied into a plain Uint8Array: a Node Buffer's slice() is a view, which breaks the reader's realignment of I64 data.
  return SafetensorsFile.fromBytes(new Uint8Array(readFileSync(FIXTURES + name)));
}

/** ||a - b|| / ||b|| in float64. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relativeError: lengths ${a.length} and ${b.length} differ`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den);
}
