/**
 * Where a model's files come from, for the app's worker: the built-in model shipped with the app,
 * a Hub repo (diffusers layout: transformer/ and vae/, cached in the browser), URLs, or local
 * files the user picked. Each resolves to byte sources and parsed configs.
 */
import { ditConfigFromJson } from '../model/hub-config.ts';
import type { DitConfig } from '../model/config.ts';
import { WeightsError } from '../weights/errors.ts';
import { defaultRevisions } from '../weights/hub.ts';
import { loadHubJson, loadHubWeights, loadUrlFile } from '../weights/remote-files.ts';
import { blobSource, type ByteSource } from '../weights/source.ts';
import type { WeightsStore } from '../weights/cache.ts';
import type { LoadProgress, ModelSpec } from './api.ts';
import { urlSource } from './model-loader.ts';

export interface ModelFiles {
  name: string;
  transformer: ByteSource;
  config: DitConfig;
  vae?: { weights: ByteSource; config: unknown };
  /** Trained class ids, when the model knows fewer than num_classes. */
  knownClasses?: number[];
  license: string;
  cached: boolean;
  /** Set when the files could not be kept (storage full): they were streamed instead. */
  cacheWarning?: string;
}

export interface SourceOptions {
  builtinBase: string;
  store: WeightsStore | null;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

const DIT_LICENSE = 'DiT-XL/2 weights: CC-BY-NC 4.0 (facebookresearch/DiT); SD-VAE: MIT (stabilityai)';

/** The license line of a Hub repo: DiT-XL/2's own, or a pointer to the repo's model card. */
const hubLicense = (hub: string, repo: string): string =>
  /^facebook\/DiT-XL-2-(256|512)$/.test(repo) ? DIT_LICENSE : `see the model card at ${hub.replace(/\/$/, '')}/${repo}`;

async function json(url: string, what: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not read the ${what} at ${url}: HTTP ${res.status}`);
  return res.json();
}

async function blobJson(blob: Blob, what: string): Promise<unknown> {
  try {
    return JSON.parse(await blob.text());
  } catch (e) {
    throw new Error(`the ${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function knownClassIds(raw: unknown): number[] {
  const list = Array.isArray(raw) ? raw : [];
  return list.map((e) => (typeof e === 'number' ? e : (e as { class_id?: number }).class_id)).filter((n): n is number => Number.isInteger(n));
}

export async function resolveModelFiles(spec: ModelSpec, o: SourceOptions): Promise<ModelFiles> {
  switch (spec.kind) {
    case 'builtin': {
      const base = o.builtinBase.endsWith('/') ? o.builtinBase : `${o.builtinBase}/`;
      const known = knownClassIds(await json(`${base}classes.json`, 'built-in class list'));
      return {
        name: `Built-in (offline, ${known.length} classes)`,
        transformer: await urlSource(`${base}dit-builtin.safetensors`, o.signal),
        config: ditConfigFromJson(await json(`${base}config.json`, 'built-in config')),
        knownClasses: known,
        license: 'Trained by DiT Studio on Noto Color Emoji (SIL OFL 1.1); weights MIT',
        cached: true,
      };
    }
    case 'hub': {
      const http = { signal: o.signal, store: o.store ?? undefined, onProgress: o.onProgress };
      const opts = { ...http, hub: spec.hubUrl, repo: spec.repo, revision: spec.revision };
      const transformer = await loadHubWeights(opts, 'transformer');
      // Configs come from the revision the weights were found at.
      const revision = transformer.location?.revision ?? spec.revision ?? defaultRevisions(spec.repo)[0];
      const config = ditConfigFromJson(await loadHubJson(opts, revision, 'transformer/config.json'));
      const vae = await loadHubWeights({ ...opts, revision }, 'vae');
      const vaeConfig = await loadHubJson(opts, revision, 'vae/config.json');
      const warning = transformer.cacheError ?? vae.cacheError;
      return {
        name: spec.repo,
        transformer: transformer.source,
        config,
        vae: { weights: vae.source, config: vaeConfig },
        license: hubLicense(spec.hubUrl, spec.repo),
        cached: transformer.fromCache && vae.fromCache,
        cacheWarning: warning ? `the browser's storage is full, so the model was not cached (${warning.message})` : undefined,
      };
    }
    case 'urls': {
      const http = { signal: o.signal, store: o.store ?? undefined, onProgress: o.onProgress };
      if (!spec.transformerConfigUrl) throw new Error('a transformer config URL is needed with a transformer URL');
      const transformer = await loadUrlFile(spec.transformerUrl, http);
      const vae = spec.vaeUrl ? await loadUrlFile(spec.vaeUrl, http) : undefined;
      if (vae && !spec.vaeConfigUrl) throw new Error('a VAE config URL is needed with a VAE URL');
      return {
        name: spec.transformerUrl.split('/').slice(-3).join('/'),
        transformer: transformer.source,
        config: ditConfigFromJson(await json(spec.transformerConfigUrl, 'transformer config')),
        vae: vae ? { weights: vae.source, config: await json(spec.vaeConfigUrl!, 'VAE config') } : undefined,
        license: 'see where the files came from',
        cached: transformer.fromCache && (vae?.fromCache ?? true),
      };
    }
    case 'files': {
      if (!spec.transformerConfig) throw new Error('choose the transformer config.json too');
      if (spec.vae && !spec.vaeConfig) throw new Error('choose the VAE config.json too');
      return {
        name: spec.transformer instanceof File ? spec.transformer.name : 'local files',
        transformer: blobSource(spec.transformer, spec.transformer instanceof File ? spec.transformer.name : 'transformer'),
        config: ditConfigFromJson(await blobJson(spec.transformerConfig, 'transformer config')),
        vae: spec.vae ? { weights: blobSource(spec.vae, spec.vae instanceof File ? spec.vae.name : 'vae'), config: await blobJson(spec.vaeConfig!, 'VAE config') } : undefined,
        license: 'local files: see their own license',
        cached: false,
      };
    }
    default:
      throw new WeightsError('unsupported', `unknown model kind ${(spec as { kind: string }).kind}`);
  }
}
