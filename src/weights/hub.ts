/**
 * Hugging Face Hub client: resolve URLs, the revision and file-name fallbacks for diffusers-layout
 * weights, each file's sha256 from the Hub itself, and JSON config files. Knows the Hub's URL
 * scheme, API and error codes, nothing about models.
 */
import { WeightsError, isAbortError } from './errors.ts';
import { readBodyUpTo } from './http-body.ts';
import { etagOf, httpRequest, withRetries, type HttpOptions } from './http.ts';
import { probeUrl, type RemoteFile } from './http-source.ts';
import { isSha256Hex } from './sha256.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Weight file names in a diffusers subfolder, best first. */
export const WEIGHT_FILE_NAMES = ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.bin'];

/** Config files are small; anything bigger is not one. */
export const MAX_JSON_BYTES = 1024 * 1024;

export interface HubLocation {
  /** e.g. https://huggingface.co */
  hub: string;
  /** `org/name` */
  repo: string;
  /** A branch, tag, commit or ref such as `refs/pr/1`. */
  revision: string;
  /** Path inside the repo, e.g. `transformer/config.json`. */
  path: string;
}

export interface HubFile extends RemoteFile {
  location: HubLocation;
}

/** `{hub}/{repo}/resolve/{revision}/{path}`, the revision encoded as one segment (`refs%2Fpr%2F1`). */
export function hubFileUrl(loc: HubLocation): string {
  const segments = (s: string) => s.split('/').map(encodeURIComponent).join('/');
  return `${loc.hub.replace(/\/+$/, '')}/${segments(loc.repo)}/resolve/${encodeURIComponent(loc.revision)}/${segments(loc.path)}`;
}


export interface WeightsQuery {
  hub: string;
  repo: string;
  /** Revisions to try in order (default: main). */
  revisions?: string[];
  /** `transformer`, `vae`, or '' for the repo root. */
  subfolder: string;
  fileNames?: string[];
}

/** Every place the weights may be, best first. */
export function weightCandidates(q: WeightsQuery): HubLocation[] {
  const out: HubLocation[] = [];
  for (const revision of q.revisions ?? ['main']) {
    for (const name of q.fileNames ?? WEIGHT_FILE_NAMES) {
      out.push({ hub: q.hub, repo: q.repo, revision, path: q.subfolder ? `${q.subfolder.replace(/\/+$/, '')}/${name}` : name });
    }
  }
  return out;
}

/**
 * Size, version, sha256 and Range support of one Hub file. The sha256 of an LFS file is the Hub's
 * X-Linked-Etag, on the answer that redirects to the CDN; where a browser follows that redirect out
 * of sight, it comes from the Hub's paths-info API instead. A CDN's own ETag is never trusted as one.
 */
export async function resolveHubFile(location: HubLocation, http: HttpOptions = {}): Promise<HubFile> {
  const file: HubFile = { ...(await probeUrl(hubFileUrl(location), http)), location };
  if (file.sha256 || !file.redirected || !file.redirectsHidden) return file;
  let lfs: Awaited<ReturnType<typeof hubLfsInfo>>;
  try {
    lfs = await hubLfsInfo(location, http);
  } catch (e) {
    if (isAbortError(e)) throw e;
    http.onNotice?.(`the Hub did not give the sha256 of ${location.repo}/${location.path} (${(e as Error).message}); it is used unverified`);
    return file;
  }
  if (!lfs) return file;
  if (lfs.size !== file.size) {
    throw new WeightsError('http', `${file.url}: the Hub gives its size as ${lfs.size} bytes but its CDN serves ${file.size}`, { url: file.url });
  }
  return { ...file, sha256: lfs.sha256 };
}

/** `{hub}/api/models/{repo}/paths-info/{revision}`: file records, with `lfs: {oid, size}` for LFS files. */
export function hubPathsInfoUrl(loc: Pick<HubLocation, 'hub' | 'repo' | 'revision'>): string {
  return `${loc.hub.replace(/\/+$/, '')}/api/models/${loc.repo.split('/').map(encodeURIComponent).join('/')}/paths-info/${encodeURIComponent(loc.revision)}`;
}

/** An LFS file's sha256 and size from the Hub's API; undefined for a file that is not in LFS. */
export async function hubLfsInfo(location: HubLocation, http: HttpOptions = {}): Promise<{ sha256: string; size: number } | undefined> {
  const url = hubPathsInfoUrl(location);
  const json = await withRetries(http, async () => {
    const r = await httpRequest(url, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ paths: [location.path] }),
    }, http);
    return parseJson(await readBodyUpTo(r, MAX_JSON_BYTES, http), url);
  });
  const entry = Array.isArray(json) ? (json as Array<{ path?: unknown; lfs?: { oid?: unknown; size?: unknown } }>).find((e) => e?.path === location.path) : undefined;
  if (!entry) throw new WeightsError('http', `${url} did not list ${location.path}`, { url });
  if (!entry.lfs) return undefined;
  const { oid, size } = entry.lfs;
  if (!isSha256Hex(typeof oid === 'string' ? oid : undefined) || typeof size !== 'number') throw new WeightsError('http', `${url} gave no usable sha256 and size for ${location.path}`, { url });
  return { sha256: (oid as string).toLowerCase(), size };
}

/**
 * The first weights file that exists, trying each revision's file names in order. A missing file
 * moves on to the next name, a missing revision to the next revision; anything else (missing
 * repo, no access, server down) stops the search.
 */
export async function findHubWeights(q: WeightsQuery, http: HttpOptions = {}): Promise<HubFile> {
  const tried: string[] = [];
  let skipRevision: string | undefined;
  for (const loc of weightCandidates(q)) {
    if (loc.revision === skipRevision) continue;
    try {
      return await resolveHubFile(loc, http);
    } catch (e) {
      if (!(e instanceof WeightsError) || e.code !== 'not-found' || e.hubError === 'RepoNotFound') throw e;
      tried.push(`${hubFileUrl(loc)} (${e.hubError ?? '404'})`);
      if (e.hubError === 'RevisionNotFound') skipRevision = loc.revision;
    }
  }
  throw new WeightsError('not-found', `no weights found for ${q.repo}${q.subfolder ? ` in ${q.subfolder}/` : ''}; tried ${tried.join(', ')}`, { url: hubFileUrl(weightCandidates(q)[0]) });
}

/** A small Hub file's bytes and ETag (retried like any request). */
export async function fetchHubBytes(location: HubLocation, http: HttpOptions = {}, maxBytes = MAX_JSON_BYTES): Promise<{ bytes: Uint8Array; etag?: string; url: string }> {
  const url = hubFileUrl(location);
  return withRetries(http, async () => {
    const r = await httpRequest(url, {}, http);
    return { bytes: await readBodyUpTo(r, maxBytes, http), etag: etagOf(r.res.headers), url };
  });
}

/** A small JSON file from the Hub. */
export async function fetchHubJson(location: HubLocation, http: HttpOptions = {}): Promise<unknown> {
  const { bytes, url } = await fetchHubBytes(location, http);
  return parseJson(bytes, url);
}

export function parseJson(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new WeightsError('bad-json', `${name} is not valid JSON: ${(e as Error).message}`, { url: /^https?:/.test(name) ? name : undefined });
  }
}
