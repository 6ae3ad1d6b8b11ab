/**
 * A server that stalls, trickles, never answers, loops its redirects or refuses the connection
 * makes a load fail (or recover) in bounded time, with a message naming the host and what
 * happened. Timeouts are 0.3-1 s here (30 s and 60 s by default: a loaded test machine can take
 * a few hundred milliseconds to answer itself); each test has a 15 s limit, so a hang fails it
 * instead of holding the suite.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { bodyPieces } from '../../../src/weights/http-body.ts';
import { httpRequest } from '../../../src/weights/http.ts';
import { httpSource, probeUrl } from '../../../src/weights/http-source.ts';
import { fetchHubJson, hubFileUrl } from '../../../src/weights/hub.ts';
import { MemoryStore } from '../../../src/weights/memory-store.ts';
import { loadHubWeights, type HubModelOptions } from '../../../src/weights/remote-files.ts';
import { writeSafetensors } from '../../../src/weights/safetensors.ts';
import { startHubServer, type Fault, type HubServer } from '../../support/hub-server.ts';
import { prng } from '../../support/sources.ts';

const rand = prng(31);
const model = writeSafetensors({ w: { dtype: 'U8', shape: [60_000], data: Uint8Array.from({ length: 60_000 }, () => Math.floor(rand() * 256)) } });
const REPO = 'org/model';
const T = 'transformer/diffusion_pytorch_model.safetensors';
const FAST = { connectTimeoutMs: 1000, idleTimeoutMs: 300, retryDelayMs: 1, attempts: 3 };
const LIMIT = 15_000;

let hub: HubServer;
let host: string;
beforeAll(async () => {
  hub = await startHubServer({ repos: { [REPO]: { main: { [T]: model, 'transformer/config.json': '{"a": 1}' } } } });
  host = new URL(hub.url).host;
});
afterAll(() => hub.close());
beforeEach(() => { hub.requests.length = 0; });

const opts = (extra: Partial<HubModelOptions> = {}): HubModelOptions => ({ hub: hub.url, repo: REPO, store: new MemoryStore(), progressIntervalMs: 0, ...FAST, ...extra });
const fileUrl = () => hubFileUrl({ hub: hub.url, repo: REPO, revision: 'main', path: T });
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b), 'bytes differ').toBe(0);
const dataRanges = () => hub.requests.filter((r) => r.url.startsWith('/lfs/') && r.range !== 'bytes=0-0').map((r) => r.range);

async function withFault<T>(fault: Fault, run: () => Promise<T>): Promise<T> {
  hub.setFault(T, fault);
  try {
    return await run();
  } finally {
    hub.setFault(T, undefined);
  }
}

/** The WeightsError `p` fails with, and how long it took. */
async function failure(p: Promise<unknown>): Promise<{ e: WeightsError; ms: number }> {
  const t0 = performance.now();
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    return { e: e as WeightsError, ms: performance.now() - t0 };
  }
  throw new Error('expected a failure');
}

describe('stalled and trickling bodies', () => {
  it('a body that stalls after 1000 bytes is resumed by Range, and the file is right', { timeout: LIMIT }, async () => {
    const got = await withFault({ stallAfterBytes: 1000, times: 2 }, () => loadHubWeights(opts(), 'transformer'));
    same(await got.source.read(0, got.source.size), model);
    expect(dataRanges()).toEqual([undefined, 'bytes=1000-', 'bytes=2000-']);
  });

  it('a body that stays stalled fails after the bounded tries, naming the host and what happened', { timeout: LIMIT }, async () => {
    const store = new MemoryStore();
    const { e, ms } = await failure(withFault({ stallAfterBytes: 1000 }, () => loadHubWeights(opts({ store }), 'transformer')));
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(new RegExp(`^${host} stalled: no data for 0\\.3 s after 1000 bytes of the body \\(${fileUrl()}\\); gave up after 3 tries \\(3000 of ${model.length} bytes are kept, to resume from\\)$`));
    expect(dataRanges()).toEqual([undefined, 'bytes=1000-', 'bytes=2000-']);
    expect([...store.partials.values()][0].size).toBe(3000);
    expect(ms).toBeLessThan(5000);
  });

  it('a trickle of one byte a second fails in bounded time', { timeout: LIMIT }, async () => {
    const { e, ms } = await failure(withFault({ trickleMs: 1000 }, () => loadHubWeights(opts(), 'transformer')));
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(new RegExp(`^${host} stalled: no data for 0\\.3 s after 0 bytes of the body .*; gave up after 3 tries$`));
    expect(ms).toBeLessThan(5000);
  });

  it('a trickle that beats the idle timeout is still a stall: under the slowest speed accepted', { timeout: LIMIT }, async () => {
    const { e, ms } = await failure(withFault({ trickleMs: 20 }, () => loadHubWeights(opts(), 'transformer')));
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(new RegExp(`^${host} stalled: only \\d+ bytes in 0\\.3\\d* s, under 1024 bytes/s, after \\d+ bytes of the body`));
    expect(ms).toBeLessThan(5000);
  });

  it('a range read (streaming, no cache) that stalls is retried', { timeout: LIMIT }, async () => {
    const src = httpSource(await probeUrl(fileUrl(), FAST), FAST);
    hub.requests.length = 0;
    same(await withFault({ stallAfterBytes: 1000, times: 1 }, () => src.read(100, 5100)), model.slice(100, 5100));
    expect(dataRanges()).toEqual(['bytes=100-5099', 'bytes=100-5099']);
  });

  it('a slow reader does not count as a stalled server', { timeout: LIMIT }, async () => {
    const r = await httpRequest(fileUrl(), {}, FAST);
    let got = 0;
    for await (const piece of bodyPieces(r, { ...FAST, minBytesPerSecond: 1e9 })) {
      got += piece.byteLength;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(got).toBe(model.length);
  });
});

describe('servers that do not answer', () => {
  it.each([
    ['the Hub', 'resolve'],
    ['its CDN', 'data'],
  ] as const)('%s never answering is a clear timeout, after the bounded tries', { timeout: LIMIT }, async (_who, where) => {
    const { e, ms } = await failure(withFault({ noAnswer: where }, () => loadHubWeights(opts({ connectTimeoutMs: 300 }), 'transformer')));
    expect(e.code).toBe('timeout');
    expect(e.message).toMatch(new RegExp(`^${host} did not answer within 0\\.3 s \\(${hub.url}/${where === 'resolve' ? 'org/model/resolve' : 'lfs'}/.*\\); gave up after 3 tries$`));
    expect(ms).toBeLessThan(5000);
  });

  it('a redirect loop is called one, naming the host, and not retried', { timeout: LIMIT }, async () => {
    const { e } = await failure(withFault({ redirectLoop: true }, () => loadHubWeights(opts(), 'transformer')));
    expect(e.code).toBe('redirect');
    expect(e.message).toBe(`redirect loop at ${host}: ${hub.url}/loop/2 redirects back to ${hub.url}/loop/1 (${fileUrl()})`);
    expect(hub.requests.filter((r) => r.file === T)).toHaveLength(1);
  });

  it('a refused connection says so, naming the host', { timeout: LIMIT }, async () => {
    const dead = await startHubServer({ repos: {} });
    const deadUrl = dead.url;
    await dead.close();
    const { e } = await failure(fetchHubJson({ hub: deadUrl, repo: 'a/b', revision: 'main', path: 'c.json' }, FAST));
    expect(e.code).toBe('network');
    expect(e.message).toMatch(new RegExp(`^${new URL(deadUrl).host} refused the connection \\(${deadUrl}/a/b/resolve/main/c\\.json\\): is the server running, and is the address right\\?; gave up after 3 tries$`));
  });
});
