import { hubRevisions } from '../../../src/model/hub-models.ts';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadToStore, ProgressMeter, type DownloadProgress } from '../../../src/weights/download.ts';
import { WeightsError } from '../../../src/weights/errors.ts';
import { probeUrl } from '../../../src/weights/http-source.ts';
import { hubFileUrl } from '../../../src/weights/hub.ts';
import { MemoryStore } from '../../../src/weights/memory-store.ts';
import { entryId } from '../../../src/weights/cache.ts';
import { NodeStore } from '../../../src/weights/node-store.ts';
import { loadHubJson, loadHubWeights, loadUrlFile, type HubModelOptions } from '../../../src/weights/remote-files.ts';
import { writeSafetensors } from '../../../src/weights/safetensors.ts';
import { startHubServer, type HubServer } from '../../support/hub-server.ts';
import { prng } from '../../support/sources.ts';

const rand = prng(11);
/** A safetensors file of exactly `size` bytes (cached weights must open), random data. */
function weightsOfSize(size: number): Uint8Array {
  const data = Uint8Array.from({ length: size }, () => Math.floor(rand() * 256));
  // The header (about 70 bytes, padded to 8) takes the rest: find the tensor size that fills it exactly.
  for (let n = size - 200; n < size; n++) {
    const file = writeSafetensors({ w: { dtype: 'U8', shape: [n], data: data.subarray(0, n) } });
    if (file.length === size) return file;
  }
  throw new Error(`no safetensors file of exactly ${size} bytes`);
}
const model = weightsOfSize(300_000);
const vae = weightsOfSize(50_000);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const REPO = 'facebook/DiT-XL-2-256';
const T = 'transformer/diffusion_pytorch_model.safetensors';

let hub: HubServer;
const root = mkdtempSync(join(tmpdir(), 'dit-dl-'));
let n = 0;
const freshDir = () => join(root, `c${n++}`);

beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      [REPO]: {
        'refs/pr/1': { [T]: model, 'transformer/config.json': '{"sample_size": 32}', 'vae/diffusion_pytorch_model.safetensors': vae, 'vae/config.json': '{"latent_channels": 4}' },
        main: { 'transformer/diffusion_pytorch_model.bin': model },
      },
    },
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => { hub.requests.length = 0; });

const opts = (store: HubModelOptions['store'], extra: Partial<HubModelOptions> = {}): HubModelOptions => ({
  hub: hub.url, repo: REPO, revisions: hubRevisions(REPO), store, retryDelayMs: 1, attempts: 4, progressIntervalMs: 0, ...extra,
});
const readAll = async (s: { size: number; read(b: number, e: number): Promise<Uint8Array> }) => s.read(0, s.size);
const modelRequests = () => hub.requests.filter((r) => r.file === T);
const partialOf = (dir: string) => readdirSync(join(dir, 'files')).find((f) => f.endsWith('.partial'));

/** Byte equality without Vitest's element-by-element diffing (slow on 300 KB). */
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b), 'bytes differ').toBe(0);

async function refusal(p: Promise<unknown>): Promise<WeightsError> {
  try { await p; } catch (e) { expect(e).toBeInstanceOf(WeightsError); return e as WeightsError; }
  throw new Error('expected a refusal');
}

describe('download and cache', () => {
  it('downloads, verifies and caches; the second load makes no request at all', async () => {
    const dir = freshDir();
    const events: DownloadProgress[] = [];
    const first = await loadHubWeights(opts(new NodeStore(dir), { onProgress: (p) => events.push(p), writeChunkBytes: 16384 }), 'transformer');
    expect(first.fromCache).toBe(false);
    expect(first.location!.revision).toBe('refs/pr/1');
    same(await readAll(first.source), model);
    const json = JSON.parse(readFileSync(join(dir, 'files', `${await entryId(first.key)}.json`), 'utf8'));
    expect(json).toMatchObject({ key: hubFileUrl({ hub: hub.url, repo: REPO, revision: 'refs/pr/1', path: T }), size: model.length, etag: sha(model), sha256: sha(model) });
    expect(await loadHubJson(opts(new NodeStore(dir)), 'refs/pr/1', 'transformer/config.json')).toEqual({ sample_size: 32 });

    expect(events[0]).toMatchObject({ file: `${REPO}/${T}`, loadedBytes: 0, totalBytes: model.length, fromCache: false });
    expect(events.at(-1)).toMatchObject({ loadedBytes: model.length, totalBytes: model.length, etaSeconds: 0, fromCache: false });
    for (let i = 1; i < events.length; i++) expect(events[i].loadedBytes).toBeGreaterThanOrEqual(events[i - 1].loadedBytes);
    // start, at least one step along the way, end (how many steps depends on how the socket chunks the body)
    expect(events.length).toBeGreaterThan(2);

    hub.requests.length = 0;
    const cachedEvents: DownloadProgress[] = [];
    const second = await loadHubWeights(opts(new NodeStore(dir), { onProgress: (p) => cachedEvents.push(p) }), 'transformer');
    expect(second.fromCache).toBe(true);
    same(await readAll(second.source), model);
    expect(await loadHubJson(opts(new NodeStore(dir)), 'refs/pr/1', 'transformer/config.json')).toEqual({ sample_size: 32 });
    expect(hub.requests).toEqual([]);
    expect(cachedEvents).toEqual([{ file: `${REPO}/${T}`, loadedBytes: model.length, totalBytes: model.length, bytesPerSecond: 0, etaSeconds: 0, fromCache: true }]);
  });

  it('resumes with Range after a cut connection, giving a byte-identical file', async () => {
    const dir = freshDir();
    hub.setFault(T, { cutAfterBytes: 100_000, times: 1 });
    const got = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    hub.setFault(T, undefined);
    same(readFileSync(got.source.name), model);
    const data = modelRequests().filter((r) => r.url.startsWith('/lfs/') && r.range !== 'bytes=0-0');
    expect(data.map((r) => [r.range, r.status, r.bytes])).toEqual([[undefined, 200, 100_000], ['bytes=100000-', 206, model.length - 100_000]]);
  });

  it('resumes a download interrupted in an earlier run', async () => {
    const dir = freshDir();
    hub.setFault(T, { cutAfterBytes: 123_457 });
    const e = await refusal(loadHubWeights(opts(new NodeStore(dir), { attempts: 1 }), 'transformer'));
    expect(e.code).toBe('truncated');
    hub.setFault(T, undefined);
    expect(readFileSync(join(dir, 'files', partialOf(dir)!)).length).toBe(123_457);
    hub.requests.length = 0;
    const got = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    same(readFileSync(got.source.name), model);
    expect(modelRequests().filter((r) => r.url.startsWith('/lfs/') && r.range !== 'bytes=0-0').map((r) => r.range)).toEqual(['bytes=123457-']);
    expect(partialOf(dir)).toBeUndefined();
  });

  it('restarts from zero when the server ignores the resume Range', async () => {
    const dir = freshDir();
    hub.setFault(T, { cutAfterBytes: 50_000 });
    await refusal(loadHubWeights(opts(new NodeStore(dir), { attempts: 1 }), 'transformer'));
    hub.setFault(T, { ignoreRange: true });
    hub.requests.length = 0;
    const got = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    hub.setFault(T, undefined);
    same(readFileSync(got.source.name), model);
    expect(modelRequests().filter((r) => r.url.startsWith('/lfs/')).map((r) => [r.range, r.status]).at(-1)).toEqual(['bytes=50000-', 200]);
  });

  it('replaces a corrupt cache entry instead of using it', async () => {
    const dir = freshDir();
    const first = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    truncateSync(first.source.name, 1000);
    hub.requests.length = 0;
    const second = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    expect(second.fromCache).toBe(false);
    same(readFileSync(second.source.name), model);
    expect(modelRequests().length).toBeGreaterThan(0);
  });

  it('a partial whose sha256 does not match is deleted and the file downloaded again from the start, saying so', async () => {
    const dir = freshDir();
    const store = new NodeStore(dir);
    const remote = await probeUrl(hubFileUrl({ hub: hub.url, repo: REPO, revision: 'refs/pr/1', path: T }));
    expect(remote.sha256).toBe(sha(model));
    // A partial of the right version but with wrong bytes (disk corruption, a bad proxy).
    const p = await store.openPartial('k', { size: remote.size, etag: remote.etag });
    await p.append(new Uint8Array(1000).fill(1));
    await p.close();
    hub.requests.length = 0;
    const notices: string[] = [];
    const ok = await downloadToStore({ store, key: 'k', remote, retryDelayMs: 1, label: 'the model', onNotice: (m) => notices.push(m) });
    same(await readAll(ok.source), model);
    expect(notices).toEqual([expect.stringMatching(new RegExp(`^the model: the download's sha256 is [0-9a-f]{64} but the Hub says ${sha(model)}; it was deleted and is downloaded again$`))]);
    expect(modelRequests().filter((r) => r.url.startsWith('/lfs/')).map((r) => r.range)).toEqual(['bytes=1000-', undefined]);
    expect(partialOf(dir)).toBeUndefined();
  });

  it('retries 503s from the Hub during the download', async () => {
    hub.setFault(T, { status503Times: 3 });
    const got = await loadHubWeights(opts(new MemoryStore()), 'transformer');
    same(await readAll(got.source), model);
    expect(modelRequests().filter((r) => r.status === 503)).toHaveLength(3);
    hub.setFault(T, undefined);
  });

  it('refuses a Content-Length larger than the file, naming the URL; survives a short one', async () => {
    const store = new MemoryStore();
    const remote = await probeUrl(hubFileUrl({ hub: hub.url, repo: REPO, revision: 'refs/pr/1', path: T }));
    hub.setFault(T, { contentLengthDelta: 10 });
    const e = await refusal(downloadToStore({ store, key: 'k', remote, retryDelayMs: 1 }));
    expect(e.code).toBe('http');
    expect(e.message).toMatch(/Content-Length 300010/);
    expect(e.message).toContain(hub.url);
    hub.setFault(T, { contentLengthDelta: -10, times: 1 });
    const ok = await downloadToStore({ store, key: 'k', remote, retryDelayMs: 1 });
    hub.setFault(T, undefined);
    same(await readAll(ok.source), model);
  });

  it('streams without caching when the store is full, and says why', async () => {
    const store = new MemoryStore({ quotaBytes: 100_000 });
    const got = await loadHubWeights(opts(store, { writeChunkBytes: 16384 }), 'transformer');
    expect(got.cacheError).toMatchObject({ code: 'quota' });
    expect(got.fromCache).toBe(false);
    same(await readAll(got.source), model);
    expect(store.partials.size + store.entries.size).toBe(0);
  });

  it('streams with progress when there is no store', async () => {
    const events: DownloadProgress[] = [];
    const got = await loadHubWeights(opts(undefined, { onProgress: (p) => events.push(p) }), 'vae');
    expect(await got.source.read(0, 1000)).toEqual(vae.slice(0, 1000));
    expect(events.at(-1)).toMatchObject({ loadedBytes: 1000, totalBytes: vae.length, fromCache: false });
  });

  it('keeps the partial when aborted, for a later resume', async () => {
    const dir = freshDir();
    hub.setFault(T, { cutAfterBytes: 200_000, times: 1, delayMs: 0 });
    const ac = new AbortController();
    const p = loadHubWeights(opts(new NodeStore(dir), { signal: ac.signal, retryDelayMs: 1000 }), 'transformer');
    // The cut makes it wait 1 s before retrying: abort during that wait.
    setTimeout(() => ac.abort(), 300);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    hub.setFault(T, undefined);
    expect(readFileSync(join(dir, 'files', partialOf(dir)!)).length).toBe(200_000);
  });

  it('caches files from a plain URL under that URL', async () => {
    const store = new MemoryStore();
    const url = hubFileUrl({ hub: hub.url, repo: REPO, revision: 'refs/pr/1', path: 'vae/diffusion_pytorch_model.safetensors' });
    const a = await loadUrlFile(url, { store, retryDelayMs: 1 });
    expect(a.fromCache).toBe(false);
    hub.requests.length = 0;
    const b = await loadUrlFile(url, { store });
    expect(b.fromCache).toBe(true);
    same(await readAll(b.source), vae);
    expect(hub.requests).toEqual([]);
  });

  it('refetches a cached config that is not JSON', async () => {
    const store = new MemoryStore();
    const key = hubFileUrl({ hub: hub.url, repo: REPO, revision: 'refs/pr/1', path: 'vae/config.json' });
    const p = await store.openPartial(key, { size: 3 });
    await p.append(new TextEncoder().encode('{{{'));
    await p.commit({ key, url: key, size: 3, storedAt: 'x' });
    expect(await loadHubJson(opts(store), 'refs/pr/1', 'vae/config.json')).toEqual({ latent_channels: 4 });
    expect(await loadHubJson(opts(store), 'refs/pr/1', 'vae/config.json')).toEqual({ latent_channels: 4 });
    expect(hub.requests.filter((r) => r.file === 'vae/config.json')).toHaveLength(1);
  });
});

describe('ProgressMeter', () => {
  it('reports speed over recent seconds and the time left', () => {
    let t = 0;
    const events: DownloadProgress[] = [];
    const m = new ProgressMeter('f', 1000, 100, (p) => events.push(p), 100, () => t);
    expect(events[0]).toMatchObject({ loadedBytes: 100, bytesPerSecond: 0, etaSeconds: Infinity });
    t = 1000; m.add(200);
    expect(events[1]).toMatchObject({ loadedBytes: 300, bytesPerSecond: 200, etaSeconds: 3.5 });
    t = 1050; m.add(10); // throttled
    expect(events).toHaveLength(2);
    m.finish();
    expect(events[2]).toMatchObject({ loadedBytes: 1000, etaSeconds: 0 });
  });
});

