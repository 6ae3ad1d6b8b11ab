/**
 * A tiny static file server for the built app (`dist/`): plain files at `/`, `index.html` for
 * folders, a content type by extension, single `Range: bytes=` requests (as any ordinary static
 * host answers them) and nothing else — no COOP/COEP or other special headers. Listens on
 * 127.0.0.1 only, on a random port; `url` uses `localhost` so the page is a secure context.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { parseRange } from './hub-server.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  /** `http://localhost:PORT` (no trailing slash). */
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startStaticServer(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '/');
    try {
      serve(root, req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serve(root: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
  let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return void res.writeHead(403).end();
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return void res.writeHead(404).end();
    size = st.size;
  } catch {
    return void res.writeHead(404).end();
  }
  const headers: Record<string, string> = {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-cache',
  };
  const range = parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') return void res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
  const [begin, end] = range ?? [0, size];
  if (range) headers['Content-Range'] = `bytes ${begin}-${end - 1}/${size}`;
  res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': String(end - begin) });
  if (req.method === 'HEAD' || end === begin) return void res.end();
  createReadStream(file, { start: begin, end: end - 1 }).pipe(res);
}
