/**
 * Which classes the selected model can make. Every ImageNet class until the model is loaded; then
 * the built-in model's trained subset, or ids 0..numClasses-1 of a model with fewer classes. (Class
 * ids that enter from outside are checked once, by `validClassId` in ./settings.ts.)
 */
import type { ModelInfo } from '../../engine/api';
import { className, NUM_IMAGENET_CLASSES } from '../../data/imagenet';
import { BUILTIN_MODEL_KEY, loadedModel, type ModelSelectionWithFiles } from './model-choice';

type WithModel = ModelSelectionWithFiles & { model: ModelInfo | null };

/** Known classes of the loaded model when it is the one selected (the built-in model knows a subset). */
export function knownClasses(s: WithModel): number[] | null {
  const known = loadedModel(s)?.knownClasses;
  return known?.length ? known : null;
}

const classRanges = new Map<number, number[]>();

/**
 * The class ids the selected model can make, once it is loaded: the built-in model's trained
 * subset, or 0..numClasses-1 for a model with fewer than the 1000 ImageNet classes. Null when
 * every ImageNet class works, or when the selected model is not loaded yet (its classes are
 * unknown until then). The same array for the same model (a stable selector result).
 */
export function modelClasses(s: WithModel): number[] | null {
  const known = knownClasses(s);
  if (known) return known;
  const n = loadedModel(s)?.numClasses;
  if (!n || n >= NUM_IMAGENET_CLASSES || !Number.isInteger(n)) return null;
  let ids = classRanges.get(n);
  if (!ids) classRanges.set(n, (ids = Array.from({ length: n }, (_, i) => i)));
  return ids;
}

/** Why a loaded model cannot make this class (a message for the user), or null when it can. */
export function classOutsideModel(classId: number, info: Pick<ModelInfo, 'numClasses' | 'knownClasses'>): string | null {
  const known = info.knownClasses;
  if (known?.length && !known.includes(classId)) {
    return `This model does not know class ${classId} (${className(classId)}). Pick one of its ${known.length} classes.`;
  }
  if (classId >= info.numClasses) {
    return `This model has ${info.numClasses} classes (ids 0–${info.numClasses - 1}); class ${classId} (${className(classId)}) is not one of them. Pick one of its classes.`;
  }
  return null;
}

/**
 * The class to show once a model is loaded: the built-in model knows only some classes, so a class
 * it does not know moves to `preferred` when it knows that one, else to its first.
 */
export function classForLoadedModel(info: ModelInfo, classId: number, preferred: number): number {
  const known = info.knownClasses;
  if (info.id !== BUILTIN_MODEL_KEY || !known?.length || known.includes(classId)) return classId;
  return known.includes(preferred) ? preferred : known[0];
}
