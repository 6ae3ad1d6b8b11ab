/** "Download PNG": the final image with its parameters in PNG text chunks. */
import type { Frame } from '../engine/api';
import { className, shortClassName } from '../data/imagenet';
import { encodePng } from './png';
import { pageBase, pictureLink } from './state/link';
import type { FinishedRun } from './state/run';

/** The key of the text chunk holding the picture's link (see ./state/link.ts). */
export const PNG_LINK_KEY = 'dit:link';

/** The link that makes this picture again, or null (a model from local files). */
export function linkFor(image: Frame, run: FinishedRun, base: string = pageBase()): string | null {
  return pictureLink(base, { model: run.model, params: run.params, size: image.width, precision: run.precision });
}

/** The text chunks written into downloaded PNGs; `link` is the picture's link, when it has one. */
export function pngTextFor(run: FinishedRun, link: string | null = null): Record<string, string> {
  const p = run.params;
  const model = run.model.kind === 'hub' ? `${run.model.repo}@${run.model.revision}` : run.modelName;
  const blend: Record<string, string> = p.blend ? { blend_class_id: String(p.blend.classId), blend_class_name: className(p.blend.classId), blend_weight: String(p.blend.weight) } : {};
  const text: Record<string, string> = {
    Software: 'DiT Studio',
    Title: `${shortClassName(p.classId)} (ImageNet class ${p.classId})`,
    class_id: String(p.classId),
    class_name: className(p.classId),
    cfg_scale: String(p.cfgScale),
    steps: String(p.steps),
    sampler: p.sampler,
    seed: String(p.seed),
    ...blend,
    model,
    model_id: run.modelId,
    parameters: JSON.stringify({ ...p, className: className(p.classId), model, modelId: run.modelId }),
  };
  return link ? { ...text, [PNG_LINK_KEY]: link } : text;
}

export function pngFileName(run: FinishedRun): string {
  const p = run.params;
  const name = shortClassName(p.classId)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const blend = p.blend ? `-blend${p.blend.classId}-w${Math.round(p.blend.weight * 100) / 100}` : '';
  return `dit-${p.classId}-${name}${blend}-cfg${p.cfgScale}-${p.sampler.replace('+', 'p').replace('+', 'p')}${p.steps}-seed${p.seed}.png`;
}

export async function pngBlobFor(image: Frame, run: FinishedRun): Promise<Blob> {
  const bytes = await encodePng(image, pngTextFor(run, linkFor(image, run)));
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
