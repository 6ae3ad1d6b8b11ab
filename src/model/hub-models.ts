/**
 * The Hugging Face Hub models DiT Studio knows by name, defined once: which repo holds DiT-XL/2 at
 * each image size, which revisions to try, and the licence line shown with them.
 */
export { DEFAULT_HUB_URL } from '../weights/hub.ts';

export type DitImageSize = 256 | 512;

export interface HubModel {
  repo: string;
  imageSize: DitImageSize;
  /**
   * Revisions to try in order when none is given. The official DiT repos keep only PyTorch .bin
   * files on main; their safetensors conversion lives in the open PR refs/pr/1.
   */
  revisions: string[];
  license: string;
}

const DIT_LICENSE = 'DiT-XL/2 weights: CC-BY-NC 4.0 (facebookresearch/DiT); SD-VAE: MIT (stabilityai)';

export const DIT_HUB_MODELS: readonly HubModel[] = [
  { repo: 'facebook/DiT-XL-2-256', imageSize: 256, revisions: ['refs/pr/1', 'main'], license: DIT_LICENSE },
  { repo: 'facebook/DiT-XL-2-512', imageSize: 512, revisions: ['refs/pr/1', 'main'], license: DIT_LICENSE },
];

export function knownHubModel(repo: string): HubModel | undefined {
  return DIT_HUB_MODELS.find((m) => m.repo === repo);
}

export function ditRepoForSize(size: DitImageSize): string {
  return DIT_HUB_MODELS.find((m) => m.imageSize === size)!.repo;
}

/** Revisions to try for a repo when none is given. */
export function hubRevisions(repo: string): string[] {
  return knownHubModel(repo)?.revisions ?? ['main'];
}

/** The licence line of a Hub repo: a known model's own, or a pointer to the repo's model card. */
export function hubLicense(hub: string, repo: string): string {
  return knownHubModel(repo)?.license ?? `see the model card at ${hub.replace(/\/$/, '')}/${repo}`;
}
