/**
 * Where a model's files come from, for the app's worker: the built-in model shipped with the app,
 * a Hub repo (diffusers layout: transformer/ and vae/, cached in the browser), URLs, or local
 * files the user picked. Each resolves to byte sources and parsed configs.
 */
import { ditConfigFromJson } from '../model/hub-config.ts';
import type { DitConfig } from '../model/config.ts';
import { WeightsError } from '../weights/errors.ts';
import { hubLicense, hubRevisions } from '../model/hub-models.ts';
import { type HubModelOptions, type LoadedFile, loadHubJson, loadHubWeights, loadUrlFile } from '../weights/remote-files.ts';
import { blobSource, type ByteSource, renamedSource } from '../weights/source.ts';
import type { WeightsStore } from '../weights/cache.ts';
import type { LoadProgress, ModelSpec } from './api.ts';
import { urlSource } from '../weights/http-source.ts';

export interface ModelFiles {
  name: string;
  transformer: ByteSource;
  config: DitConfig;
  vae?: { weights: ByteSource; config: unknown };
  /** Trained class ids, when the model knows fewer than num_classes. */
  knownClasses?: number[];
  license: string;
  cached: boolean;
  /** Set when the files could not be kept (storage full): they are held in memory for this visit instead. */
  cacheWarning?: string;
}

/** What the user is told when a download did not fit the browser's storage (remote-files.ts kept it in memory). */
export const NOT_CACHED_WARNING = "The model could not be cached: the browser's storage quota is too small for it. It works for this visit and will be downloaded again next time; free disk space or clear other sites' data to keep it.";

export interface SourceOptions {
  builtinBase: string;
  store: WeightsStore | null;
  onProgress?: (p: LoadProgress) => void;
  /** What the user should be told that is no error (a damaged cached file fetched again). */
  onNotice?: (message: string) => void;
  signal?: AbortSignal;
}

export interface HubModelFiles {
  transformer: LoadedFile;
  /** The revision the weights were found at; the configs come from the same one. */
  revision: string;
  config: DitConfig;
  vae: LoadedFile;
  vaeConfig: unknown;
}

/**
 * A diffusers-layout Hub repo (transformer/ and vae/): the weights from the cache or downloaded
 * into `store`, the configs from the revision the weights were found at. The app's worker (browser
 * cache) and `dit generate` (a cache directory) both load Hub models through this.
 */
export async function resolveHubModel(opts: HubModelOptions & { hub: string }): Promise<HubModelFiles> {
  const o = { ...opts, revisions: opts.revisions ?? hubRevisions(opts.repo) };
  const transformer = await loadHubWeights(o, 'transformer');
  const revision = transformer.location?.revision ?? o.revision ?? o.revisions[0];
  const config = ditConfigFromJson(await loadHubJson(o, revision, 'transformer/config.json'));
  const vae = await loadHubWeights({ ...o, revision }, 'vae');
  const vaeConfig = await loadHubJson(o, revision, 'vae/config.json');
  return { transformer, revision, config, vae, vaeConfig };
}

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
        license: 'Trained by DiT Studio on emoji designs: Noto Color Emoji (Google, SIL OFL 1.1), Microsoft Fluent Emoji (MIT); weights MIT',
        cached: true,
      };
    }
    case 'hub': {
      const { transformer, config, vae, vaeConfig } = await resolveHubModel({
        signal: o.signal, store: o.store ?? undefined, onProgress: o.onProgress, onNotice: o.onNotice, hub: spec.hubUrl, repo: spec.repo, revision: spec.revision,
      });
      const warning = transformer.cacheError ?? vae.cacheError;
      return {
        name: spec.repo,
        transformer: transformer.source,
        config,
        vae: { weights: vae.source, config: vaeConfig },
        license: hubLicense(spec.hubUrl, spec.repo),
        cached: transformer.fromCache && vae.fromCache,
        cacheWarning: warning ? NOT_CACHED_WARNING : undefined,
      };
    }
    case 'urls': {
      const http = { signal: o.signal, store: o.store ?? undefined, onProgress: o.onProgress, onNotice: o.onNotice };
      if (!spec.transformerConfigUrl) throw new Error('a transformer config URL is needed with a transformer URL');
      const transformer = await loadUrlFile(spec.transformerUrl, http);
      const vae = spec.vaeUrl ? await loadUrlFile(spec.vaeUrl, http) : undefined;
      if (vae && !spec.vaeConfigUrl) throw new Error('a VAE config URL is needed with a VAE URL');
      return {
        name: spec.name ?? spec.transformerUrl.split('/').slice(-3).join('/'),
        transformer: spec.transformerName ? renamedSource(transformer.source, spec.transformerName) : transformer.source,
        config: ditConfigFromJson(await json(spec.transformerConfigUrl, 'transformer config')),
        vae: vae ? { weights: spec.vaeName ? renamedSource(vae.source, spec.vaeName) : vae.source, config: await json(spec.vaeConfigUrl!, 'VAE config') } : undefined,
        license: 'see where the files came from',
        cached: transformer.fromCache && (vae?.fromCache ?? true),
        cacheWarning: transformer.cacheError || vae?.cacheError ? NOT_CACHED_WARNING : undefined,
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
