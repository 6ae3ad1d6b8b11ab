/**
 * What the service worker (./service-worker.ts) does with a request, as plain functions: which
 * requests it answers at all, and how a Range request is answered from a whole cached file (the
 * engine reads the built-in model's safetensors by ranges; the Cache API keeps only whole 200s).
 */

/** The cache of one build: a new build gets a new cache, and the old one is deleted once it takes over. */
export const CACHE_PREFIX = 'dit-studio-';

export function cacheName(version: string): string {
  return `${CACHE_PREFIX}${version}`;
}

/**
 * How to answer a request: `page` (a navigation: network first, else the cached app page),
 * `file` (a file of the build: network first, else the cached copy) or null (left to the
 * browser: other origins — the Hub, whose weights the engine caches itself in OPFS/IndexedDB —
 * anything but GET, and same-origin URLs that are not part of the build).
 */
export function strategyFor(
  req: { method: string; mode: string; url: string },
  scope: string,
  precached: ReadonlySet<string>,
): 'page' | 'file' | null {
  if (req.method !== 'GET') return null;
  const url = new URL(req.url);
  const base = new URL(scope);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return null;
  if (req.mode === 'navigate') return 'page';
  return precached.has(url.pathname) ? 'file' : null;
}

/** A single `bytes=` range as [begin, end) of a `size`-byte file; null when the header asks for something else (answer the whole file). */
export function parseByteRange(header: string | null, size: number): [number, number] | 'unsatisfiable' | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Math.min(Number(m[2]), size);
    return n === 0 ? 'unsatisfiable' : [size - n, size];
  }
  const begin = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (begin >= size || last < begin) return 'unsatisfiable';
  return [begin, last + 1];
}

/** The answer to `rangeHeader` from a whole cached response: a 206 with its bytes, a 416, or the response itself. */
export async function rangeOf(whole: Response, rangeHeader: string | null): Promise<Response> {
  if (!rangeHeader) return whole;
  // A Blob: slicing it copies nothing (the engine reads a 4 MB file in a hundred ranges).
  const body = await whole.blob();
  const range = parseByteRange(rangeHeader, body.size);
  const headers = new Headers();
  for (const name of ['Content-Type', 'ETag', 'Last-Modified']) {
    const v = whole.headers.get(name);
    if (v) headers.set(name, v);
  }
  headers.set('Accept-Ranges', 'bytes');
  if (range === 'unsatisfiable') {
    headers.set('Content-Range', `bytes */${body.size}`);
    return new Response(null, { status: 416, headers });
  }
  const [begin, end] = range ?? [0, body.size];
  if (range) headers.set('Content-Range', `bytes ${begin}-${end - 1}/${body.size}`);
  headers.set('Content-Length', String(end - begin));
  return new Response(body.slice(begin, end), { status: range ? 206 : 200, headers });
}
