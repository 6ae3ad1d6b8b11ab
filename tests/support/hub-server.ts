/**
 * A local stand-in for the Hugging Face Hub: serves fixture repos at
 * `/{repo}/resolve/{revision}/{path}` the way the Hub does (302 to an LFS URL with X-Linked-Size
 * and X-Linked-Etag for large files, Range requests, CORS, X-Error-Code errors) and answers the
 * paths-info API (`POST /api/models/{repo}/paths-info/{revision}`). As on the real Hub, the sha256
 * of an LFS file is only in X-Linked-Etag on the redirecting answer and in paths-info: the CDN's
 * ETag is an MD5, as S3's is. Faults can be injected per file (cut, stalled, trickled or corrupted
 * bodies, no answer at all, a redirect loop), and every request is logged. Listens on 127.0.0.1
 * only, on a random port.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** repo → revision → path → contents. */
export type HubRepos = Record<string, Record<string, Record<string, Uint8Array | string>>>;

export interface Fault {
  /** Close the connection after sending this many body bytes. */
  cutAfterBytes?: number;
  /** Declare a Content-Length this many bytes off: positive, the body falls short and the connection closes; negative, the body is cut to match. */
  contentLengthDelta?: number;
  /** Wait this long before answering (capped at 2 s). */
  delayMs?: number;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange?: boolean;
  /** How many data responses the faults above apply to (default: all). */
  times?: number;
  /** Answer the resolve request with 503 this many times before serving it. */
  status503Times?: number;
  /** Send this many body bytes, then nothing more, holding the connection open. */
  stallAfterBytes?: number;
  /** Send the body one byte at a time, this many milliseconds apart. */
  trickleMs?: number;
  /** Serve these bytes of the file XORed with 0xff (the sha256 the Hub gives stays the true one). */
  corrupt?: Array<{ at: number; bytes: number }>;
  /** Never answer: the resolve request itself, or the data request (the CDN). Not limited by `times`. */
  noAnswer?: 'resolve' | 'data';
  /** The resolve request redirects to /loop/1, which redirects to /loop/2, which redirects to /loop/1. */
  redirectLoop?: boolean;
}

export interface HubServerOptions {
  repos: HubRepos;
  /** Files of at least this many bytes go through a 302 to /lfs/, as LFS files do on the Hub (default 1024). */
  lfsThreshold?: number;
  /** Gated repos and the token that opens each: without it 401, with a wrong one 403. */
  gated?: Record<string, string>;
  /** Faults by file path inside the repo (`transformer/diffusion_pytorch_model.safetensors`). */
  faults?: Record<string, Fault>;
}

export interface LoggedRequest {
  method: string;
  /** Path and query as requested. */
  url: string;
  /** The repo file it was about (resolve and LFS requests, and paths-info for one file). */
  file?: string;
  /** A paths-info API request. */
  api?: boolean;
  range?: string;
  status: number;
  /** Body bytes actually sent. */
  bytes: number;
}

export interface HubServer {
  url: string;
  requests: LoggedRequest[];
  setFault(path: string, fault: Fault | undefined): void;
  /** Replaces a file's contents (a new upload: new sha256). */
  setFile(repo: string, revision: string, path: string, data: Uint8Array | string): void;
  close(): Promise<void>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, X-Error-Code, X-Error-Message, X-Linked-Size, X-Linked-Etag, Accept-Ranges',
};

interface LfsObject { data: Uint8Array; sha256: string; file: string }

const hex = (algorithm: string, ...parts: Array<Uint8Array | string>) => {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
/** The git blob id, which the Hub gives as the ETag of files kept in git. */
const gitBlobSha = (data: Uint8Array) => hex('sha1', `blob ${data.byteLength}\0`, data);
/** The git-lfs pointer file that stands in git for an LFS file. */
const lfsPointer = (sha256: string, size: number) => `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const lfsThreshold = options.lfsThreshold ?? 1024;
  const faults = new Map(Object.entries(options.faults ?? {}).map(([k, v]) => [k, { ...v }]));
  const repos: Record<string, Record<string, Record<string, Uint8Array>>> = {};
  const lfs = new Map<string, LfsObject>();
  const requests: LoggedRequest[] = [];

  const toBytes = (d: Uint8Array | string) => (typeof d === 'string' ? new TextEncoder().encode(d) : d);
  const setFile = (repo: string, rev: string, path: string, data: Uint8Array | string) => {
    ((repos[repo] ??= {})[rev] ??= {})[path] = toBytes(data);
  };
  for (const [repo, revs] of Object.entries(options.repos)) {
    for (const [rev, files] of Object.entries(revs)) {
      repos[repo] ??= {};
      repos[repo][rev] ??= {};
      for (const [path, data] of Object.entries(files)) setFile(repo, rev, path, data);
    }
  }

  const server = createServer((req, res) => {
    const entry: LoggedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', range: req.headers.range, status: 0, bytes: 0 };
    requests.push(entry);
    res.on('close', () => { entry.status = res.statusCode; });
    handle(req, res, entry).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse, log: LoggedRequest) {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, 'Access-Control-Allow-Methods': 'GET, HEAD, POST', 'Access-Control-Allow-Headers': 'Range, Authorization, Content-Type', 'Access-Control-Max-Age': '600' });
      return res.end();
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const api = /^\/api\/models\/(.+?)\/paths-info\/([^/]+)$/.exec(u.pathname);
    if (req.method === 'POST' && api) return pathsInfo(req, res, log, decodeURIComponent(api[1]), decodeURIComponent(api[2]));
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, 'MethodNotAllowed', 'method not allowed');
    if (u.pathname.startsWith('/lfs/')) {
      const blob = lfs.get(u.pathname.slice(5));
      if (!blob) return error(res, 404, 'EntryNotFound', 'no such LFS object');
      log.file = blob.file;
      // An S3-style ETag (the MD5), not the sha256.
      return serveData(req, res, log, blob.data, { ETag: `"${hex('md5', blob.data)}"` }, blob.file);
    }
    const loop = /^\/loop\/([12])$/.exec(u.pathname);
    if (loop) return redirect(res, `/loop/${loop[1] === '1' ? 2 : 1}`);
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (!m) return error(res, 404, undefined, 'not found');
    const repo = decodeURIComponent(m[1]);
    const rev = decodeURIComponent(m[2]);
    const path = m[3].split('/').map(decodeURIComponent).join('/');
    log.file = path;
    const fault = faults.get(path);
    if (fault?.noAnswer === 'resolve') return; // the request is left hanging
    if (fault?.redirectLoop) return redirect(res, '/loop/1');
    if (fault?.status503Times) {
      fault.status503Times--;
      return error(res, 503, undefined, 'service unavailable');
    }
    const found = lookUp(req, res, repo, rev, path);
    if (!found) return;
    const data = found;
    if (data.byteLength >= lfsThreshold) {
      const sha256 = hex('sha256', data);
      const id = hex('md5', data);
      lfs.set(id, { data, sha256, file: path });
      // The Hub's own answer: the LFS sha256 and size, and an ETag that is not the sha256.
      res.writeHead(302, {
        ...CORS,
        Location: `/lfs/${id}`,
        'X-Linked-Size': String(data.byteLength),
        'X-Linked-Etag': `"${sha256}"`,
        ETag: `"${gitBlobSha(new TextEncoder().encode(lfsPointer(sha256, data.byteLength)))}"`,
        'Content-Length': '0',
      });
      return res.end();
    }
    // Small (git) files: the ETag is a git blob id, not a sha256.
    return serveData(req, res, log, data, { ETag: `"${gitBlobSha(data)}"` }, path);
  }

  /** The file at repo@rev/path, or an error answer (missing repo, gated, missing revision or file) and undefined. */
  function lookUp(req: IncomingMessage, res: ServerResponse, repo: string, rev: string, path: string): Uint8Array | undefined {
    if (!repos[repo]) return void error(res, 401, 'RepoNotFound', 'Repository not found');
    const token = options.gated?.[repo];
    if (token !== undefined) {
      const auth = req.headers.authorization;
      if (!auth) return void error(res, 401, 'GatedRepo', 'Access to this model is restricted. You must be authenticated to access it.');
      if (auth !== `Bearer ${token}`) return void error(res, 403, 'GatedRepo', 'Access to this model is restricted and you are not in the authorized list.');
    }
    const files = repos[repo][rev];
    if (!files) return void error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const data = files[path];
    if (!data) return void error(res, 404, 'EntryNotFound', `${path} does not exist on "${rev}"`);
    return data;
  }

  /** POST paths-info: `{paths}` → one record per existing path, with `lfs` for LFS files. */
  async function pathsInfo(req: IncomingMessage, res: ServerResponse, log: LoggedRequest, repo: string, rev: string) {
    log.api = true;
    let body = '';
    for await (const chunk of req) body += chunk;
    let paths: unknown;
    try {
      paths = (JSON.parse(body) as { paths?: unknown }).paths;
    } catch {
      paths = undefined;
    }
    if (!Array.isArray(paths)) return error(res, 400, undefined, 'expected {"paths": [...]}');
    if (paths.length === 1) log.file = String(paths[0]);
    if (!repos[repo]) return error(res, 401, 'RepoNotFound', 'Repository not found');
    const files = repos[repo][rev];
    if (!files) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const out = paths.filter((p): p is string => typeof p === 'string' && !!files[p]).map((p) => {
      const data = files[p];
      if (data.byteLength < lfsThreshold) return { type: 'file', path: p, size: data.byteLength, oid: gitBlobSha(data) };
      const sha256 = hex('sha256', data);
      const pointer = lfsPointer(sha256, data.byteLength);
      return { type: 'file', path: p, size: data.byteLength, oid: gitBlobSha(new TextEncoder().encode(pointer)), lfs: { oid: sha256, size: data.byteLength, pointerSize: pointer.length } };
    });
    const json = JSON.stringify(out);
    res.writeHead(200, { ...CORS, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(json)) });
    res.end(json);
  }

  function redirect(res: ServerResponse, location: string) {
    res.writeHead(302, { ...CORS, Location: location, 'Content-Length': '0' });
    res.end();
  }

  async function serveData(req: IncomingMessage, res: ServerResponse, log: LoggedRequest, data: Uint8Array, headers: Record<string, string>, path: string) {
    let fault = faults.get(path);
    if (fault?.times !== undefined && fault.times <= 0) fault = undefined;
    const size = data.byteLength;
    const requested = parseRange(req.headers.range, size);
    // `times` counts only responses the fault actually changes.
    if (fault?.times !== undefined) {
      const [from, to] = Array.isArray(requested) ? requested : [0, size];
      const bodyBytes = to - from;
      const effective = !!fault.delayMs || !!fault.contentLengthDelta || (fault.ignoreRange && requested !== undefined)
        || (fault.cutAfterBytes !== undefined && fault.cutAfterBytes < bodyBytes)
        || (fault.stallAfterBytes !== undefined && fault.stallAfterBytes < bodyBytes)
        || (!!fault.trickleMs && bodyBytes > 1)
        || !!fault.corrupt?.some((c) => c.at < to && c.at + c.bytes > from);
      if (effective) fault.times--;
      else fault = undefined;
    }
    if (faults.get(path)?.noAnswer === 'data') return; // the request is left hanging
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, Math.min(fault!.delayMs!, 2000)));
    let status = 200;
    let begin = 0;
    let end = size;
    const range = fault?.ignoreRange ? undefined : requested;
    const extra: Record<string, string> = { ...CORS, ...headers, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...extra, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
      return res.end();
    }
    if (range) {
      status = 206;
      [begin, end] = range;
      extra['Content-Range'] = `bytes ${begin}-${end - 1}/${size}`;
    }
    let body = data.subarray(begin, end);
    if (fault?.corrupt) {
      body = new Uint8Array(body); // a copy (Buffer.slice would be a view of the file)
      for (const c of fault.corrupt) for (let i = Math.max(c.at, begin); i < Math.min(c.at + c.bytes, end); i++) body[i - begin] ^= 0xff;
    }
    let declared = body.byteLength;
    let send = body.byteLength;
    let cut = false;
    if (fault?.contentLengthDelta) {
      declared = Math.max(0, declared + fault.contentLengthDelta);
      if (fault.contentLengthDelta < 0) send = declared;
      else cut = true;
    }
    if (fault?.cutAfterBytes !== undefined && fault.cutAfterBytes < send) {
      send = fault.cutAfterBytes;
      cut = true;
    }
    res.writeHead(status, { ...extra, 'Content-Length': String(declared) });
    if (req.method === 'HEAD') return res.end();
    if (fault?.stallAfterBytes !== undefined && fault.stallAfterBytes < send) {
      // The rest never comes; the connection stays open until the client gives up.
      log.bytes = fault.stallAfterBytes;
      res.flushHeaders();
      res.write(body.subarray(0, fault.stallAfterBytes));
      return;
    }
    if (fault?.trickleMs) return trickle(res, log, body.subarray(0, send), fault.trickleMs);
    log.bytes = send;
    if (!cut) return res.end(body.subarray(0, send));
    res.flushHeaders();
    res.write(body.subarray(0, send), () => setTimeout(() => res.destroy(), 5));
  }

  /** One byte every `ms` milliseconds until the body is sent or the client goes away. */
  function trickle(res: ServerResponse, log: LoggedRequest, body: Uint8Array, ms: number) {
    res.flushHeaders();
    let i = 0;
    const timer = setInterval(() => {
      if (i >= body.byteLength) { clearInterval(timer); res.end(); return; }
      res.write(body.subarray(i, i + 1));
      log.bytes = ++i;
    }, ms);
    res.on('close', () => clearInterval(timer));
  }

  function error(res: ServerResponse, status: number, code: string | undefined, message: string) {
    const body = JSON.stringify({ error: message });
    res.writeHead(status, { ...CORS, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...(code ? { 'X-Error-Code': code } : {}), 'X-Error-Message': message });
    res.end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFault(path, fault) {
      if (fault) faults.set(path, { ...fault });
      else faults.delete(path);
    },
    setFile,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** [begin, end) for a single `bytes=` range, 'unsatisfiable', or undefined to serve the whole file. */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Math.min(Number(m[2]), size);
    return n === 0 ? 'unsatisfiable' : [size - n, size];
  }
  const begin = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (begin >= size || last < begin) return 'unsatisfiable';
  return [begin, last + 1];
}
