/** Paths of the golden fixtures copied from the reference implementation into tests/fixtures. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { safetensorsSource } from '../../src/model/safetensors-source.ts';
import { SafetensorsFile } from '../../src/weights/safetensors.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const fixture = (rel: string): string => `${FIXTURES}${rel}`;
export const loadSafetensors = (rel: string): SafetensorsFile => SafetensorsFile.fromBytes(readFileSync(fixture(rel)));
export const loadJson = (rel: string): unknown => JSON.parse(readFileSync(fixture(rel), 'utf8'));
export const tensorSource = (rel: string) => safetensorsSource(loadSafetensors(rel));
