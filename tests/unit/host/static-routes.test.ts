import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStaticRoute, staticContentType } from '../../../src/host/browser-host.ts';

describe('static routes of the headless host', () => {
  const routes = { '/ort/': '/srv/ort', '/bench/': 'rel/www' };

  it('maps a path under a prefix to the file in its folder', () => {
    expect(resolveStaticRoute(routes, '/ort/ort.webgpu.min.mjs')).toBe('/srv/ort/ort.webgpu.min.mjs');
    expect(resolveStaticRoute(routes, '/bench/a/peer.js')).toBe(join(resolve('rel/www'), 'a/peer.js'));
    expect(resolveStaticRoute(routes, '/ort/a%20b.wasm')).toBe('/srv/ort/a b.wasm');
  });

  it('serves nothing outside the folders', () => {
    expect(resolveStaticRoute(routes, '/ort/../etc/passwd')).toBeNull();
    expect(resolveStaticRoute(routes, '/ort/%2e%2e/etc/passwd')).toBeNull();
    expect(resolveStaticRoute(routes, '/ort/')).toBeNull();
    expect(resolveStaticRoute(routes, '/other/x.js')).toBeNull();
    expect(resolveStaticRoute(routes, '/ort/%E0%A4%A')).toBeNull();
    expect(resolveStaticRoute({}, '/ort/x.js')).toBeNull();
  });

  it('gives wasm and module scripts their content types', () => {
    expect(staticContentType('/a/b.wasm')).toBe('application/wasm');
    expect(staticContentType('/a/b.mjs')).toBe('text/javascript');
    expect(staticContentType('/a/b.onnx')).toBe('application/octet-stream');
  });
});
