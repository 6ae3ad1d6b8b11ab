/** Reading inputs and writing outputs for the command line; an output appears whole or not at all. */
import { readFileSync, renameSync, writeFileSync, existsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openFileSource } from '../weights/node-file-source.ts';
import { openWeights } from '../weights/open-weights.ts';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../weights/safetensors.ts';

export function readInputFile(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${what} file not found: ${path}`);
  return new Uint8Array(readFileSync(path));
}

export function readJson(path: string, what: string): unknown {
  const text = new TextDecoder().decode(readInputFile(path, what));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function readSafetensors(path: string, what: string): SafetensorsFile {
  try {
    return SafetensorsFile.fromBytes(readInputFile(path, what));
  } catch (e) {
    throw new Error(`${what} ${path}: ${(e as Error).message}`);
  }
}

/** Refuses an input tensor holding NaN or ±Inf, naming where (the model would turn it into NaN outputs). */
export function checkFinite(what: string, data: Float32Array): void {
  const i = data.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) throw new Error(`${what} holds a non-finite value (${data[i]}) at index ${i}`);
}

/** Checks, before any work, that an output can be written where asked: its folder exists. */
export function checkOutputPath(path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`cannot write ${path}: the folder ${dir} does not exist`);
}

/** Writes to a temporary name, then renames: a failed command leaves no partial file. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.partial-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

export function writeTensors(path: string, tensors: Record<string, { shape: number[]; data: Float32Array }>): void {
  const out: Record<string, TensorToWrite> = {};
  for (const [name, t] of Object.entries(tensors)) out[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  writeFileAtomic(path, writeSafetensors(out));
}

/** Checks that a weights file exists and its header (or zip directory) is sound, reading no tensor data. */
export async function checkWeightsFile(path: string, what: string): Promise<void> {
  if (!existsSync(path)) throw new Error(`${what} file not found: ${path}`);
  const source = await openFileSource(path);
  try {
    await openWeights(source);
  } catch (e) {
    throw new Error(`${what} ${path}: ${(e as Error).message}`);
  } finally {
    await (source as { close?: () => Promise<void> }).close?.();
  }
}
