/**
 * Downloads are verified against the sha256 the Hub itself gives (X-Linked-Etag on its redirect,
 * or its paths-info API where a browser hides the redirect), never a CDN's ETag; corrupt bytes are
 * never cached; a cached copy that was damaged is deleted and fetched again once, with a message.
 * The test Hub serves MD5 ETags from its CDN, as S3 does, so nothing here works by the CDN's grace.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entryId } from '../../../src/weights/cache.ts';
import { WeightsError } from '../../../src/weights/errors.ts';
import { hubFileUrl } from '../../../src/weights/hub.ts';
import { MemoryStore } from '../../../src/weights/memory-store.ts';
import { NodeStore } from '../../../src/weights/node-store.ts';
import { loadHubWeights, type HubModelOptions } from '../../../src/weights/remote-files.ts';
import { writeSafetensors } from '../../../src/weights/safetensors.ts';
import { startHubServer, type HubServer } from '../../support/hub-server.ts';
import { prng } from '../../support/sources.ts';

const rand = prng(21);
const model = writeSafetensors({ w: { dtype: 'U8', shape: [200_000], data: Uint8Array.from({ length: 200_000 }, () => Math.floor(rand() * 256)) } });
const notWeights = Uint8Array.from({ length: 5000 }, () => Math.floor(rand() * 256));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const REPO = 'org/model';
const BROKEN = 'org/broken';
const T = 'transformer/diffusion_pytorch_model.safetensors';

let hub: HubServer;
const root = mkdtempSync(join(tmpdir(), 'dit-integrity-'));
let n = 0;
const freshDir = () => join(root, `c${n++}`);
let notices: string[] = [];

beforeAll(async () => {
  hub = await startHubServer({ repos: { [REPO]: { main: { [T]: model } }, [BROKEN]: { main: { [T]: notWeights } } } });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  hub.requests.length = 0;
  notices = [];
  hub.setFault(T, undefined);
});

const opts = (store: HubModelOptions['store'], extra: Partial<HubModelOptions> = {}): HubModelOptions => ({
  hub: hub.url, repo: REPO, store, retryDelayMs: 1, attempts: 3, progressIntervalMs: 0, onNotice: (m) => notices.push(m), ...extra,
});
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b), 'bytes differ').toBe(0);
const readAll = (s: { size: number; read(b: number, e: number): Promise<Uint8Array> }) => s.read(0, s.size);
/** Whole-file downloads from the CDN (not the one-byte probes). */
const downloads = () => hub.requests.filter((r) => r.url.startsWith('/lfs/') && r.range !== 'bytes=0-0');
const recordOf = async (dir: string, repo = REPO) =>
  JSON.parse(readFileSync(join(dir, 'files', `${await entryId(hubFileUrl({ hub: hub.url, repo, revision: 'main', path: T }))}.json`), 'utf8'));
const dataFile = async (dir: string, repo = REPO) => join(dir, 'files', `${await entryId(hubFileUrl({ hub: hub.url, repo, revision: 'main', path: T }))}.data`);

async function refusal(p: Promise<unknown>): Promise<WeightsError> {
  try { await p; } catch (e) { expect(e).toBeInstanceOf(WeightsError); return e as WeightsError; }
  throw new Error('expected a refusal');
}

/** Overwrites bytes of a file in place. */
function overwrite(path: string, at: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try { writeSync(fd, bytes, 0, bytes.byteLength, at); } finally { closeSync(fd); }
}

/** fetch as a browser does it: redirect 'manual' gives an opaque answer; followed redirects hide the first answer's headers. */
const browserFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (init?.redirect !== 'manual' || res.status < 300 || res.status >= 400) return res;
  await res.body?.cancel();
  const opaque = new Response(null, { status: 200 });
  Object.defineProperty(opaque, 'type', { value: 'opaqueredirect' });
  Object.defineProperty(opaque, 'status', { value: 0 });
  return opaque;
};

describe('the test Hub is like the real one', () => {
  it('gives the sha256 only in X-Linked-Etag on its redirect; the CDN ETag is an MD5', async () => {
    const first = await fetch(hubFileUrl({ hub: hub.url, repo: REPO, revision: 'main', path: T }), { redirect: 'manual' });
    expect(first.status).toBe(302);
    expect(first.headers.get('x-linked-etag')).toBe(`"${sha(model)}"`);
    expect(first.headers.get('etag')).not.toContain(sha(model));
    const cdn = await fetch(new URL(first.headers.get('location')!, hub.url));
    expect(cdn.headers.get('etag')).toBe(`"${md5(model)}"`);
    expect(cdn.headers.get('x-linked-etag')).toBeNull();
    await cdn.body?.cancel();
  });
});

describe('downloads are verified against the Hub', () => {
  it("records the Hub's sha256 (X-Linked-Etag), though the CDN's ETag is an MD5", async () => {
    const dir = freshDir();
    const got = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    same(await readAll(got.source), model);
    expect(await recordOf(dir)).toMatchObject({ sha256: sha(model), size: model.length });
  });

  it('catches a flipped byte in the header: the error says so, and nothing corrupt is cached', async () => {
    const dir = freshDir();
    hub.setFault(T, { corrupt: [{ at: 20, bytes: 1 }] });
    const e = await refusal(loadHubWeights(opts(new NodeStore(dir)), 'transformer'));
    expect(e.code).toBe('checksum');
    expect(e.message).toContain(`${REPO}/${T}: the download's sha256 is`);
    expect(e.message).toContain(`but the Hub says ${sha(model)}, twice in a row`);
    expect(e.message).toMatch(/nothing was cached/);
    expect(notices).toEqual([expect.stringMatching(/sha256 .* but the Hub says .*; it was deleted and is downloaded again$/)]);
    expect(downloads()).toHaveLength(2);
    expect(readdirSync(join(dir, 'files'))).toEqual([]);
  });

  it('catches 5 KB of altered tensor data and downloads the file again once, caching only the good copy', async () => {
    const dir = freshDir();
    hub.setFault(T, { corrupt: [{ at: 100_000, bytes: 5120 }], times: 1 });
    const got = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    same(await readAll(got.source), model);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`${REPO}/${T}: the download's sha256 is`);
    expect(downloads()).toHaveLength(2);
    expect(await recordOf(dir)).toMatchObject({ sha256: sha(model) });
  });

  it('does the same with no cache directory (in memory)', async () => {
    hub.setFault(T, { corrupt: [{ at: 100_000, bytes: 5120 }] });
    const store = new MemoryStore();
    const e = await refusal(loadHubWeights(opts(store), 'transformer'));
    expect(e.code).toBe('checksum');
    expect(store.entries.size + store.partials.size).toBe(0);
  });
});

describe('in a browser, where fetch hides the redirect', () => {
  it("takes the sha256 from the Hub's paths-info API, and verifies with it", async () => {
    const store = new MemoryStore();
    const got = await loadHubWeights(opts(store, { fetch: browserFetch }), 'transformer');
    same(await readAll(got.source), model);
    expect([...store.entries.values()][0].meta.sha256).toBe(sha(model));
    expect(hub.requests.filter((r) => r.api)).toHaveLength(1);
    hub.setFault(T, { corrupt: [{ at: 20, bytes: 1 }] });
    expect((await refusal(loadHubWeights(opts(new MemoryStore(), { fetch: browserFetch }), 'transformer'))).code).toBe('checksum');
  });

  it('says when the Hub gives no sha256, and records none', async () => {
    const noApi: typeof fetch = async (input, init) =>
      String(input).includes('/api/') ? new Response('{"error":"no"}', { status: 404 }) : browserFetch(input, init);
    const store = new MemoryStore();
    const got = await loadHubWeights(opts(store, { fetch: noApi }), 'transformer');
    same(await readAll(got.source), model);
    expect([...store.entries.values()][0].meta.sha256).toBeUndefined();
    expect(notices).toEqual([expect.stringMatching(new RegExp(`the Hub did not give the sha256 of ${REPO}/${T} \\(.*404.*\\); it is used unverified`))]);
  });
});

describe('damaged cache entries', () => {
  it('an entry whose data changed on disk is deleted and downloaded again once, with a message', async () => {
    const dir = freshDir();
    await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    // File times tick every few milliseconds: let the write below land on a later one.
    await new Promise((r) => setTimeout(r, 50));
    overwrite(await dataFile(dir), 150_000, Uint8Array.of(model[150_000] ^ 1));
    hub.requests.length = 0;
    const again = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    expect(again.fromCache).toBe(false);
    same(await readAll(again.source), model);
    expect(notices).toEqual([expect.stringMatching(new RegExp(`^the cached copy of ${REPO}/${T} was deleted and is downloaded again: its data changed on disk since it was downloaded: its sha256 is now [0-9a-f]{64}, not ${sha(model)}$`))]);
    expect(downloads()).toHaveLength(1);
    // Then it is a plain cache hit again.
    hub.requests.length = 0;
    expect((await loadHubWeights(opts(new NodeStore(dir)), 'transformer')).fromCache).toBe(true);
    expect(hub.requests).toEqual([]);
  });

  it('an entry damaged without a trace (bit rot: same size, time unchanged) is caught when it does not open, deleted and downloaded again once', async () => {
    const dir = freshDir();
    await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    const file = await dataFile(dir);
    overwrite(file, 0, Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    // As if the bytes had rotted: the record still matches the file's modification time.
    const record = join(dir, 'files', `${await entryId(hubFileUrl({ hub: hub.url, repo: REPO, revision: 'main', path: T }))}.json`);
    writeFileSync(record, JSON.stringify({ ...(await recordOf(dir)), dataMtimeMs: statSync(file).mtimeMs }));
    hub.requests.length = 0;
    const again = await loadHubWeights(opts(new NodeStore(dir)), 'transformer');
    expect(again.fromCache).toBe(false);
    same(await readAll(again.source), model);
    expect(notices).toEqual([expect.stringMatching(new RegExp(`^the cached copy of ${REPO}/${T} was deleted and is downloaded again: it could not be read as weights \\(.*safetensors header length`))]);
    expect(downloads()).toHaveLength(1);
  });

  it('an entry that does not open but matches its sha256 is kept: the error says the file itself is damaged', async () => {
    const dir = freshDir();
    await loadHubWeights(opts(new NodeStore(dir), { repo: BROKEN }), 'transformer');
    hub.requests.length = 0;
    const e = await refusal(loadHubWeights(opts(new NodeStore(dir), { repo: BROKEN }), 'transformer'));
    expect(e.message).toMatch(/the cached copy matches the sha256 it was downloaded with, so the file itself is damaged/);
    expect(hub.requests).toEqual([]);
    expect(notices).toEqual([]);
    expect(await recordOf(dir, BROKEN)).toMatchObject({ sha256: sha(notWeights) });
  });
});
