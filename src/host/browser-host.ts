/**
 * The headless host (Node): a small localhost server for the engine page and the files it reads
 * and writes, and one headless Chromium whose WebGPU (SwiftShader on a machine without a GPU)
 * runs the engine worker. The command line, the tests and the benchmarks all drive the engine
 * through this.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { extname, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import type { HeadlessApi } from '../worker/headless.worker.ts';
import { bundleEngine, HEADLESS_WORKER } from './bundle.ts';
import { remoteApi, type RemoteApi } from './remote.ts';
import type { ByteSource } from '../weights/source.ts';
import { fromBytes, replaceArrays, resolveRefs, type BlobRef } from '../worker/wire.ts';

export const CHROMIUM_FLAGS = [
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--use-angle=swiftshader', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
];

/** The Chromium to use: an explicit path, $DIT_CHROMIUM, or Debian's /usr/bin/chromium. */
export function chromiumPath(explicit?: string): string {
  const path = explicit ?? process.env.DIT_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`Chromium not found at ${path}: install it (apt-get install chromium) or pass --chromium PATH / set DIT_CHROMIUM`);
  }
  return path;
}

/** The built-in model's files (public/models/builtin/), served to the engine page under /builtin/. */
export const BUILTIN_DIR = fileURLToPath(new URL('../../public/models/builtin/', import.meta.url));

export interface HostOptions {
  chromium?: string;
  /** The worker entry to bundle (default: the Engine alone; the tests add their kernel lab). */
  workerEntry?: string;
  /** Extra Chromium flags (tests use this to switch WebGPU off). */
  extraFlags?: string[];
  /** Print the page's console to stderr. */
  verbose?: boolean;
  /**
   * A Chromium profile kept between runs (the command line keeps one in its cache directory), so
   * the autotune's choices (IndexedDB) and compiled shaders survive: the page is then served from a
   * port derived from the folder, since an origin's storage belongs to its port. When the profile
   * or the port is in use (another run), this run falls back to a throwaway profile.
   */
  profileDir?: string;
  /**
   * Extra static folders, URL prefix → local folder (e.g. `{ '/ort/': 'node_modules/onnxruntime-web/dist' }`
   * for the benchmarks' peer). Served with COOP/COEP headers, so a page among them is cross-origin
   * isolated (wasm threads).
   */
  staticRoutes?: Record<string, string>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.map': 'application/json',
};

/** The local file a URL path names under the static routes, or null (never outside a route's folder). */
export function resolveStaticRoute(routes: Record<string, string>, pathname: string): string | null {
  for (const [prefix, dir] of Object.entries(routes)) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/') || !pathname.startsWith(prefix)) continue;
    let rel: string;
    try {
      rel = decodeURIComponent(pathname.slice(prefix.length));
    } catch {
      return null;
    }
    const root = resolve(dir);
    const file = resolve(root, rel);
    if (!file.startsWith(root + sep)) return null;
    return file;
  }
  return null;
}

export function staticContentType(file: string): string {
  return CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
}

const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>DiT engine</title><script type="module" src="/page.js"></script>';

export class BrowserHost<Api = HeadlessApi> {
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly files = new Map<string, string>();
  private readonly sources = new Map<string, ByteSource>();

  private constructor(
    private readonly server: http.Server,
    private readonly browser: Pick<Browser, 'newPage' | 'close'>,
    readonly page: Page,
    readonly origin: string,
    private readonly staticRoutes: Record<string, string> = {},
  ) {}

  /** The worker's objects, typed: `host.api.engine.loadDit(url, config)`. */
  readonly api: RemoteApi<Api> = remoteApi<Api>((path, args) => this.call(path, args));

  static async start<Api = HeadlessApi>(opts: HostOptions = {}): Promise<BrowserHost<Api>> {
    const executablePath = chromiumPath(opts.chromium);
    const bundle = await bundleEngine(opts.workerEntry ?? HEADLESS_WORKER);
    let host: BrowserHost<Api> | null = null;
    const server = http.createServer((req, res) => host!.handle(req, res, bundle).catch((e) => { res.statusCode = 500; res.end(String(e)); }));
    const args = [...CHROMIUM_FLAGS, ...(opts.extraFlags ?? [])];
    const kept = opts.profileDir !== undefined && await listen(server, profilePort(opts.profileDir));
    if (!kept) await listen(server, 0);
    const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
    let browser: Pick<Browser, 'newPage' | 'close'>;
    let page: Page;
    try {
      const context = kept ? await chromium.launchPersistentContext(opts.profileDir!, { executablePath, args, headless: true }).catch(() => null) : null;
      if (context) {
        browser = context;
        page = context.pages()[0] ?? await context.newPage();
      } else {
        browser = await chromium.launch({ executablePath, args, headless: true });
        page = await browser.newPage();
      }
    } catch (e) {
      server.close();
      throw new Error(`could not start Chromium (${executablePath}): ${(e as Error).message.split('\n')[0]}`);
    }
    if (opts.verbose) page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    host = new BrowserHost<Api>(server, browser, page, origin, { '/builtin/': BUILTIN_DIR, ...opts.staticRoutes });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (globalThis as unknown as { dit?: { ready: boolean } }).dit?.ready === true, undefined, { timeout: 60_000 });
    return host;
  }

  /** A URL under which the page can read a local file (with Range support). */
  serveFile(path: string): string {
    if (!existsSync(path)) throw new Error(`file not found: ${path}`);
    const token = randomUUID();
    this.files.set(token, path);
    return `${this.origin}/file/${token}`;
  }

  /** A URL under which the page can read any byte source (a cached download, a stream), with Range support. */
  serveSource(source: ByteSource): string {
    const token = randomUUID();
    this.sources.set(token, source);
    return `${this.origin}/source/${token}`;
  }

  /** Calls `path` (object, method) in the worker; typed arrays in args and results travel as blobs. */
  private async call(path: string[], args: unknown[]): Promise<unknown> {
    const wireArgs = await replaceArrays(args, async (a, type) => {
      const id = randomUUID();
      this.blobs.set(id, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return { $blob: id, type } satisfies BlobRef;
    });
    const reply = (await this.page.evaluate(
      ([p, a]) => (globalThis as unknown as { dit: { call(p: string[], a: unknown): Promise<unknown> } }).dit.call(p, a),
      [path, wireArgs] as const,
    )) as { ok: unknown } | { error: string };
    if ('error' in reply) throw new Error(reply.error);
    return (await resolveRefs(reply.ok, async (ref) => {
      const bytes = this.blobs.get(ref.$blob);
      this.blobs.delete(ref.$blob);
      if (!bytes) throw new Error(`result blob ${ref.$blob} never arrived`);
      const copy = new Uint8Array(bytes.byteLength);
      copy.set(bytes);
      return fromBytes(ref.type, copy.buffer);
    }));
  }

  /** Another page in the same Chromium (same GPU process and adapter), e.g. for a page under a static route. */
  async newPage(): Promise<Page> {
    const page = await this.browser.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    return page;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => {});
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, bundle: { pageJs: string; workerJs: string }): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const path = url.pathname;
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE_HTML);
    if (path === '/page.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.pageJs);
    if (path === '/worker.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.workerJs);
    if (path === '/blob' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const id = randomUUID();
      this.blobs.set(id, new Uint8Array(Buffer.concat(chunks)));
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(id);
    }
    if (path.startsWith('/blob/')) {
      const id = path.slice(6);
      const bytes = this.blobs.get(id);
      if (!bytes) return void res.writeHead(404).end();
      this.blobs.delete(id);
      return void res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.byteLength }).end(bytes);
    }
    if (path.startsWith('/source/')) {
      const source = this.sources.get(path.slice(8));
      if (!source) return void res.writeHead(404).end();
      return serveSourceRange(req, res, source);
    }
    if (path.startsWith('/file/')) {
      const file = this.files.get(path.slice(6));
      if (!file) return void res.writeHead(404).end();
      return serveRange(req, res, file);
    }
    const routed = resolveStaticRoute(this.staticRoutes, path);
    if (routed !== null) {
      if (!existsSync(routed) || !statSync(routed).isFile()) return void res.writeHead(404).end();
      // With Range support: the bench loads its 1.35 GB DiT-XL/2 file from here tensor by tensor,
      // and without it each read streamed the file from its start (hours of reading).
      return serveRange(req, res, routed, {
        'content-type': staticContentType(routed), 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
      });
    }
    res.writeHead(404).end();
  }
}

/** The port a kept profile's page is served from: the same for the same folder, run after run. */
export function profilePort(profileDir: string): number {
  let h = 0x811c9dc5;
  for (const ch of resolve(profileDir)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return 20_000 + ((h >>> 0) % 20_000);
}

/** Listens on 127.0.0.1:port; false when the port is taken. */
function listen(server: http.Server, port: number): Promise<boolean> {
  return new Promise((done) => {
    const onError = () => done(false);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      done(true);
    });
  });
}

/** Parses `Range: bytes=a-b` against a size: null for the whole file, 'bad' when unsatisfiable. */
function requestedRange(req: http.IncomingMessage, size: number): { start: number; end: number } | null | 'bad' {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (!range) return null;
  const start = Number(range[1]);
  const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  return start >= size || start > end ? 'bad' : { start, end };
}

async function serveSourceRange(req: http.IncomingMessage, res: http.ServerResponse, source: ByteSource): Promise<void> {
  const r = requestedRange(req, source.size);
  const headers = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', ...(source.etag ? { etag: `"${source.etag}"` } : {}) };
  if (r === 'bad') return void res.writeHead(416, { 'content-range': `bytes */${source.size}` }).end();
  const { start, end } = r ?? { start: 0, end: source.size - 1 };
  res.writeHead(r ? 206 : 200, { ...headers, 'content-length': end - start + 1, ...(r ? { 'content-range': `bytes ${start}-${end}/${source.size}` } : {}) });
  const CHUNK = 16 * 2 ** 20;
  for (let p = start; p <= end; p += CHUNK) {
    const piece = await source.read(p, Math.min(end + 1, p + CHUNK));
    if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

function serveRange(req: http.IncomingMessage, res: http.ServerResponse, file: string, extraHeaders: Record<string, string> = {}): void {
  const size = statSync(file).size;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const headers = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', ...extraHeaders };
  if (!range) {
    res.writeHead(200, { ...headers, 'content-length': size });
    // pipeline, not pipe: a request the page abandons closes the file too.
    pipeline(createReadStream(file), res, () => {});
    return;
  }
  const start = Number(range[1]);
  const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  if (start >= size || start > end) return void res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
  res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}` });
  pipeline(createReadStream(file, { start, end }), res, () => {});
}
