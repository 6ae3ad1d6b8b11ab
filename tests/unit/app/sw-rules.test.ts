/**
 * The service worker's rules (src/app/offline/sw-rules.ts): it answers only same-origin GETs of
 * the build's files and page navigations — never the Hub or any other origin, whose downloads the
 * engine caches itself — and cuts Range requests out of a whole cached file. The build's file
 * list (src/app/offline/vite-plugin.ts) is everything the build wrote but source maps and sw.js.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseByteRange, rangeOf, strategyFor } from '../../../src/app/offline/sw-rules.ts';
import { precacheList } from '../../../src/app/offline/vite-plugin.ts';

const SCOPE = 'https://studio.example/app/';
const FILES = new Set(['/app/index.html', '/app/assets/main-abc.js', '/app/models/builtin/dit-builtin.safetensors']);
const get = (url: string, mode = 'cors') => ({ method: 'GET', mode, url });

describe('strategyFor', () => {
  it('answers navigations in scope and GETs of the build files', () => {
    expect(strategyFor(get('https://studio.example/app/?hub=x&repo=y', 'navigate'), SCOPE, FILES)).toBe('page');
    expect(strategyFor(get('https://studio.example/app/assets/main-abc.js'), SCOPE, FILES)).toBe('file');
    expect(strategyFor(get('https://studio.example/app/models/builtin/dit-builtin.safetensors?x=1'), SCOPE, FILES)).toBe('file');
  });

  it('leaves the Hub, other origins, other methods and files outside the build to the browser', () => {
    expect(strategyFor(get('https://huggingface.co/facebook/DiT-XL-2-256/resolve/main/transformer/diffusion_pytorch_model.bin'), SCOPE, FILES)).toBeNull();
    expect(strategyFor(get('http://127.0.0.1:8080/test-org/DiT-tiny/resolve/refs%2Fpr%2F1/vae/config.json'), SCOPE, FILES)).toBeNull();
    expect(strategyFor(get('https://cdn.example/app/assets/main-abc.js'), SCOPE, FILES)).toBeNull();
    expect(strategyFor(get('https://other.example/', 'navigate'), SCOPE, FILES)).toBeNull();
    expect(strategyFor({ method: 'POST', mode: 'cors', url: 'https://studio.example/app/index.html' }, SCOPE, FILES)).toBeNull();
    expect(strategyFor(get('https://studio.example/app/api/thing.json'), SCOPE, FILES)).toBeNull();
    expect(strategyFor(get('https://studio.example/elsewhere/', 'navigate'), SCOPE, FILES)).toBeNull();
  });
});

describe('ranges from a cached file', () => {
  it('parses single byte ranges as the engine sends them', () => {
    expect(parseByteRange('bytes=0-0', 10)).toEqual([0, 1]);
    expect(parseByteRange('bytes=2-5', 10)).toEqual([2, 6]);
    expect(parseByteRange('bytes=7-', 10)).toEqual([7, 10]);
    expect(parseByteRange('bytes=-3', 10)).toEqual([7, 10]);
    expect(parseByteRange('bytes=4-99', 10)).toEqual([4, 10]);
    expect(parseByteRange('bytes=10-12', 10)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=0-1,4-5', 10)).toBeNull();
    expect(parseByteRange(null, 10)).toBeNull();
  });

  it('answers a 206 with the bytes and their Content-Range, a 416 past the end, the whole file without Range', async () => {
    const whole = () => new Response(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), { headers: { 'Content-Type': 'application/octet-stream', ETag: '"v1"' } });
    const part = await rangeOf(whole(), 'bytes=2-5');
    expect(part.status).toBe(206);
    expect(part.headers.get('Content-Range')).toBe('bytes 2-5/10');
    expect(part.headers.get('Content-Length')).toBe('4');
    expect(part.headers.get('ETag')).toBe('"v1"');
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(new Uint8Array([2, 3, 4, 5]));
    const past = await rangeOf(whole(), 'bytes=20-');
    expect(past.status).toBe(416);
    expect(past.headers.get('Content-Range')).toBe('bytes */10');
    const all = await rangeOf(whole(), null);
    expect(all.status).toBe(200);
    expect((await all.arrayBuffer()).byteLength).toBe(10);
  });
});

describe('precacheList', () => {
  it('is every file of the build but source maps and the service worker itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dit-sw-'));
    try {
      for (const f of ['index.html', 'sw.js', 'assets/main-abc.js', 'assets/main-abc.js.map', 'models/builtin/config.json']) {
        mkdirSync(join(dir, f, '..'), { recursive: true });
        writeFileSync(join(dir, f), 'x');
      }
      expect(precacheList(dir)).toEqual(['assets/main-abc.js', 'index.html', 'models/builtin/config.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
