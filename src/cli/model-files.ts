/**
 * The transformer and VAE files `dit generate` uses: from a Hub repo (downloaded into the cache
 * directory, resumable and verified), or local files (with the config.json beside each file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveHubModel } from '../engine/model-sources.ts';
import { ditConfigFromJson } from '../model/hub-config.ts';
import type { DitConfig } from '../model/config.ts';
import { DEFAULT_HUB_URL } from '../model/hub-models.ts';
import { openFileSource } from '../weights/node-file-source.ts';
import { NodeStore } from '../weights/node-store.ts';
import type { ByteSource } from '../weights/source.ts';
import type { LoadProgress } from '../engine/api.ts';

export interface GenerateModelFiles {
  name: string;
  transformer: ByteSource;
  config: DitConfig;
  vae: ByteSource;
  vaeConfig: unknown;
}

export interface HubChoice {
  hubUrl?: string;
  repo: string;
  revision?: string;
  cacheDir?: string;
  onProgress?: (p: LoadProgress) => void;
}

export async function hubModelFiles(o: HubChoice): Promise<GenerateModelFiles> {
  const store = new NodeStore(o.cacheDir);
  const { transformer, revision, config, vae, vaeConfig } = await resolveHubModel({
    hub: o.hubUrl ?? DEFAULT_HUB_URL, repo: o.repo, revision: o.revision, store, onProgress: o.onProgress,
    onNotice: (m) => process.stderr.write(`warning: ${m}\n`),
  });
  if (transformer.cacheError) process.stderr.write(`warning: not cached: ${transformer.cacheError.message}\n`);
  return { name: `${o.repo}@${revision}`, transformer: transformer.source, config, vae: vae.source, vaeConfig };
}

/** The config.json beside a weights file (as in a downloaded Hub folder). */
function configBeside(file: string, what: string): unknown {
  const path = join(dirname(file), 'config.json');
  if (!existsSync(path)) throw new Error(`no config.json beside the ${what} file ${file} (keep each file in its Hub folder with its config.json)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export async function localModelFiles(transformerPath: string, vaePath: string): Promise<GenerateModelFiles> {
  for (const [p, what] of [[transformerPath, 'transformer'], [vaePath, 'VAE']]) if (!existsSync(p)) throw new Error(`${what} file not found: ${p}`);
  return {
    name: transformerPath,
    transformer: await openFileSource(transformerPath),
    config: ditConfigFromJson(configBeside(transformerPath, 'transformer')),
    vae: await openFileSource(vaePath),
    vaeConfig: configBeside(vaePath, 'VAE'),
  };
}
