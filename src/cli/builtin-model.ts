/** The built-in model's files, shipped in public/models/builtin/ (the app serves the same files). */
import { existsSync, readFileSync } from 'node:fs';
import { className } from '../data/imagenet.ts';
import { BUILTIN_DIR } from '../host/browser-host.ts';

export { BUILTIN_DIR };
export const BUILTIN_WEIGHTS = `${BUILTIN_DIR}dit-builtin.safetensors`;
export const BUILTIN_CONFIG = `${BUILTIN_DIR}config.json`;
export const BUILTIN_CLASSES = `${BUILTIN_DIR}classes.json`;

export interface BuiltinClass {
  id: number;
  name: string;
}

/** The classes the built-in model was trained on, in id order. */
export function builtinClasses(): BuiltinClass[] {
  if (!existsSync(BUILTIN_CLASSES)) throw new Error(`the built-in model is missing (${BUILTIN_CLASSES} not found)`);
  const raw = JSON.parse(readFileSync(BUILTIN_CLASSES, 'utf8')) as unknown;
  const list = Array.isArray(raw) ? raw : (raw as { classes?: unknown[] }).classes ?? [];
  return list
    .map((e) => (typeof e === 'number' ? e : (e as { class_id?: number }).class_id))
    .filter((id): id is number => Number.isInteger(id))
    .sort((a, b) => a - b)
    .map((id) => ({ id, name: className(id) }));
}
