/** "Download PNG": the final image with its parameters in PNG text chunks. */
import type { Frame } from '../engine/api';
import { className, shortClassName } from '../data/imagenet';
import { encodePng } from './png';
import type { FinishedRun } from './state/run';

/** The text chunks written into downloaded PNGs. */
export function pngTextFor(run: FinishedRun): Record<string, string> {
  const p = run.params;
  const model = run.model.kind === 'hub' ? `${run.model.repo}@${run.model.revision}` : run.modelName;
  return {
    Software: 'DiT Studio',
    Title: `${shortClassName(p.classId)} (ImageNet class ${p.classId})`,
    class_id: String(p.classId),
    class_name: className(p.classId),
    cfg_scale: String(p.cfgScale),
    steps: String(p.steps),
    sampler: p.sampler,
    seed: String(p.seed),
    model,
    model_id: run.modelId,
    parameters: JSON.stringify({ ...p, className: className(p.classId), model, modelId: run.modelId }),
  };
}

export function pngFileName(run: FinishedRun): string {
  const p = run.params;
  const name = shortClassName(p.classId)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `dit-${p.classId}-${name}-cfg${p.cfgScale}-${p.sampler.replace('+', 'p').replace('+', 'p')}${p.steps}-seed${p.seed}.png`;
}

export async function pngBlobFor(image: Frame, run: FinishedRun): Promise<Blob> {
  const bytes = await encodePng(image, pngTextFor(run));
  return new Blob([bytes as BlobPart], { type: 'image/png' });
}

/** Saves the image through a temporary link (works in every browser, no permission prompt). */
export async function downloadPng(image: Frame, run: FinishedRun): Promise<void> {
  const blob = await pngBlobFor(image, run);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = pngFileName(run);
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
