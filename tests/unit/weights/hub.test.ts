import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { httpSource, probeUrl } from '../../../src/weights/http-source.ts';
import { hubRevisions as defaultRevisions } from '../../../src/model/hub-models.ts';
import { fetchHubJson, findHubWeights, hubFileUrl, resolveHubFile, type HubLocation } from '../../../src/weights/hub.ts';
import { openSafetensors, writeSafetensors } from '../../../src/weights/safetensors.ts';
import { streamTensors } from '../../../src/weights/stream.ts';
import { startHubServer, type HubServer } from '../../support/hub-server.ts';
import { prng } from '../../support/sources.ts';

const rand = prng(7);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
const f32 = (n: number) => Float32Array.from({ length: n }, () => rand());
const transformer = writeSafetensors({
  a: { dtype: 'F32', shape: [100], data: f32(100) },
  skipped: { dtype: 'F32', shape: [50_000], data: f32(50_000) },
  b: { dtype: 'F32', shape: [100], data: f32(100) },
});
const bin = bytes(5000);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const DIT = 'facebook/DiT-XL-2-256';
let hub: HubServer;
const http = { retryDelayMs: 1, attempts: 4 };
const loc = (repo: string, revision: string, path: string): HubLocation => ({ hub: hub.url, repo, revision, path });

beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      [DIT]: {
        'refs/pr/1': { 'transformer/diffusion_pytorch_model.safetensors': transformer, 'transformer/config.json': '{"sample_size": 32}' },
        main: { 'transformer/diffusion_pytorch_model.bin': bin, 'transformer/config.json': '{"sample_size": 32}' },
      },
      'org/only-main': { main: { 'transformer/diffusion_pytorch_model.bin': bin, 'bad.json': '{"a":', 'big.bin': bytes(4000) } },
      'org/gated': { main: { 'vae/diffusion_pytorch_model.safetensors': transformer } },
    },
    gated: { 'org/gated': 'hf_secret' },
  });
});
afterAll(() => hub.close());
beforeEach(() => { hub.requests.length = 0; });

async function refusal(p: Promise<unknown>): Promise<WeightsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    return e as WeightsError;
  }
  throw new Error('expected a refusal');
}

describe('Hub URLs', () => {
  it('encodes the revision as one segment', () => {
    expect(hubFileUrl({ hub: 'https://huggingface.co/', repo: DIT, revision: 'refs/pr/1', path: 'transformer/config.json' }))
      .toBe('https://huggingface.co/facebook/DiT-XL-2-256/resolve/refs%2Fpr%2F1/transformer/config.json');
    expect(hubFileUrl({ hub: 'http://h', repo: 'a/b', revision: 'main', path: 'dir/my file.bin' })).toBe('http://h/a/b/resolve/main/dir/my%20file.bin');
  });

  it('tries refs/pr/1 first for the official DiT repos only', () => {
    expect(defaultRevisions('facebook/DiT-XL-2-256')).toEqual(['refs/pr/1', 'main']);
    expect(defaultRevisions('facebook/DiT-XL-2-512')).toEqual(['refs/pr/1', 'main']);
    expect(defaultRevisions('someone/dit')).toEqual(['main']);
  });
});

describe('finding weights on the Hub', () => {
  it('takes the safetensors from refs/pr/1, with size and sha256 from the LFS redirect', async () => {
    const f = await findHubWeights({ hub: hub.url, repo: DIT, revisions: defaultRevisions(DIT), subfolder: 'transformer' }, http);
    expect(f.location).toEqual(loc(DIT, 'refs/pr/1', 'transformer/diffusion_pytorch_model.safetensors'));
    expect(f.size).toBe(transformer.byteLength);
    expect(f.sha256).toBe(sha(transformer));
    expect(f.etag).toBe(sha(transformer));
    expect(f.rangeReads).toBe(true);
  });

  it('falls back from safetensors to .bin on EntryNotFound', async () => {
    const f = await findHubWeights({ hub: hub.url, repo: DIT, revisions: ['main'], subfolder: 'transformer' }, http);
    expect(f.location.path).toBe('transformer/diffusion_pytorch_model.bin');
    expect(f.sha256).toBe(sha(bin));
  });

  it('gives no sha256 for a small file kept in git (its ETag is a git blob id)', async () => {
    const f = await resolveHubFile(loc(DIT, 'main', 'transformer/config.json'), http);
    expect(f.sha256).toBeUndefined();
    expect(f.redirected).toBe(false);
  });

  it('skips a missing revision after one request', async () => {
    const f = await findHubWeights({ hub: hub.url, repo: 'org/only-main', revisions: ['refs/pr/1', 'main'], subfolder: 'transformer' }, http);
    expect(f.location.revision).toBe('main');
    expect(hub.requests.filter((r) => r.url.includes('refs%2Fpr%2F1'))).toHaveLength(1);
  });

  it('says when nothing matches, listing what it tried', async () => {
    const e = await refusal(findHubWeights({ hub: hub.url, repo: 'org/only-main', subfolder: 'vae' }, http));
    expect(e.code).toBe('not-found');
    expect(e.message).toMatch(/vae\/diffusion_pytorch_model\.safetensors \(EntryNotFound\)/);
    expect(e.message).toMatch(/vae\/diffusion_pytorch_model\.bin \(EntryNotFound\)/);
  });

  it('stops at a missing repo (401 RepoNotFound), naming the URL', async () => {
    const e = await refusal(findHubWeights({ hub: hub.url, repo: 'org/nope', subfolder: 'transformer' }, http));
    expect(e).toMatchObject({ code: 'not-found', status: 401, hubError: 'RepoNotFound' });
    expect(e.message).toMatch(/repository not found/);
    expect(e.message).toContain(`${hub.url}/org/nope/resolve/main/`);
    expect(hub.requests).toHaveLength(1);
  });

  it('says a revision is missing (404 RevisionNotFound)', async () => {
    const e = await refusal(resolveHubFile(loc(DIT, 'v9', 'transformer/config.json'), http));
    expect(e).toMatchObject({ code: 'not-found', status: 404, hubError: 'RevisionNotFound' });
    expect(e.message).toMatch(/revision not found/);
  });

  it('says a file is missing (404 EntryNotFound)', async () => {
    const e = await refusal(resolveHubFile(loc(DIT, 'main', 'nope.json'), http));
    expect(e).toMatchObject({ code: 'not-found', hubError: 'EntryNotFound' });
    expect(e.message).toMatch(/file not found at this revision/);
  });

  it('explains gated repos (401 without a token, 403 with a wrong one) and opens with the right token', async () => {
    const q = { hub: hub.url, repo: 'org/gated', subfolder: 'vae' };
    const e401 = await refusal(findHubWeights(q, http));
    expect(e401).toMatchObject({ code: 'unauthorized', status: 401, hubError: 'GatedRepo' });
    expect(e401.message).toMatch(/gated or private/);
    expect(e401.message).toContain(hub.url);
    const e403 = await refusal(findHubWeights(q, { ...http, headers: { Authorization: 'Bearer wrong' } }));
    expect(e403).toMatchObject({ code: 'unauthorized', status: 403 });
    const f = await findHubWeights(q, { ...http, headers: { Authorization: 'Bearer hf_secret' } });
    expect(f.size).toBe(transformer.byteLength);
  });

  it('retries 503 with backoff, then succeeds', async () => {
    hub.setFault('transformer/config.json', { status503Times: 2 });
    expect(await fetchHubJson(loc(DIT, 'main', 'transformer/config.json'), http)).toEqual({ sample_size: 32 });
    expect(hub.requests.map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('gives up on 503 after the bounded number of attempts', async () => {
    hub.setFault('transformer/config.json', { status503Times: 100 });
    const e = await refusal(fetchHubJson(loc(DIT, 'main', 'transformer/config.json'), http));
    expect(e).toMatchObject({ code: 'http', status: 503 });
    expect(e.message).toContain('transformer/config.json');
    expect(hub.requests).toHaveLength(4);
    hub.setFault('transformer/config.json', undefined);
  });

  it('says a server that cannot be reached refused the connection, naming it', async () => {
    const dead = await startHubServer({ repos: {} });
    const url = dead.url;
    await dead.close();
    const e = await refusal(fetchHubJson({ hub: url, repo: 'a/b', revision: 'main', path: 'c.json' }, http));
    expect(e.code).toBe('network');
    expect(e.message).toMatch(/refused the connection/);
    expect(e.message).toContain(url);
  });

  it('refuses a config that is not JSON', async () => {
    const e = await refusal(fetchHubJson(loc('org/only-main', 'main', 'bad.json'), http));
    expect(e.code).toBe('bad-json');
    expect(e.message).toContain('bad.json');
  });

  it('aborts a slow request', async () => {
    hub.setFault('big.bin', { delayMs: 2000 });
    const ac = new AbortController();
    const p = probeUrl(hubFileUrl(loc('org/only-main', 'main', 'big.bin')), { ...http, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    hub.setFault('big.bin', undefined);
  });
});

describe('reading over HTTP', () => {
  const path = 'transformer/diffusion_pytorch_model.safetensors';
  const open = async () => httpSource(await findHubWeights({ hub: hub.url, repo: DIT, revisions: defaultRevisions(DIT), subfolder: 'transformer' }, http), http);

  it('streams chosen tensors with Range requests, never fetching the skipped one', async () => {
    const src = await open();
    const h = await openSafetensors(src);
    hub.requests.length = 0;
    const got = new Map<string, Uint8Array>();
    await streamTensors(src, [h.tensors.get('a')!, h.tensors.get('b')!], (e, chunk) => { got.set(e.name, chunk.slice()); }, { maxGapBytes: 1024 });
    for (const n of ['a', 'b']) {
      const e = h.tensors.get(n)!;
      expect(got.get(n)).toEqual(transformer.slice(e.begin, e.end));
    }
    const served = hub.requests.filter((r) => r.url.startsWith('/lfs/')).reduce((n, r) => n + r.bytes, 0);
    expect(served).toBe(800);
  });

  it('retries a read whose connection was cut', async () => {
    const src = await open();
    hub.setFault(path, { cutAfterBytes: 100, times: 1 });
    hub.requests.length = 0;
    expect(await src.read(1000, 3000)).toEqual(transformer.slice(1000, 3000));
    expect(hub.requests.filter((r) => r.url.startsWith('/lfs/')).map((r) => r.bytes)).toEqual([100, 2000]);
    hub.setFault(path, undefined);
  });

  it('retries a body shorter than asked (wrong Content-Length), and fails naming the URL when it persists', async () => {
    const src = await open();
    hub.setFault(path, { contentLengthDelta: -10, times: 1 });
    hub.requests.length = 0;
    expect(await src.read(0, 500)).toEqual(transformer.slice(0, 500));
    expect(hub.requests.filter((r) => r.url.startsWith('/lfs/')).map((r) => r.bytes)).toEqual([490, 500]);
    hub.setFault(path, { contentLengthDelta: 10 });
    const e = await refusal(src.read(0, 500));
    expect(e.code).toBe('truncated');
    expect(e.message).toContain(hub.url);
    hub.setFault(path, undefined);
  });

  it('notices a file that changed on the server', async () => {
    const src = await open();
    hub.setFile(DIT, 'refs/pr/1', path, bytes(transformer.byteLength));
    const e = await refusal(src.read(0, 10));
    expect(e.message).toMatch(/changed on the server/);
    hub.setFile(DIT, 'refs/pr/1', path, transformer);
  });

  it('reads a server that ignores Range front to back', async () => {
    hub.setFault(path, { ignoreRange: true });
    const src = await open();
    expect(src.rangeReads).toBe(false);
    const h = await openSafetensors(src);
    const got = new Map<string, Uint8Array>();
    await streamTensors(src, [h.tensors.get('a')!, h.tensors.get('b')!], (e, chunk, off) => {
      if (!got.has(e.name)) got.set(e.name, new Uint8Array(e.end - e.begin));
      got.get(e.name)!.set(chunk, off);
    });
    expect(got.get('b')).toEqual(transformer.slice(h.tensors.get('b')!.begin, h.tensors.get('b')!.end));
    hub.setFault(path, undefined);
  });
});
