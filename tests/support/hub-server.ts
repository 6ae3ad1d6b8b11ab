/**
 * A local stand-in for the Hugging Face Hub: serves fixture repos at
 * `/{repo}/resolve/{revision}/{path}` the way the Hub does (302 to an LFS URL with X-Linked-Size
 * and X-Linked-Etag for large files, Range requests, CORS, X-Error-Code errors), with fault
 * injection per file and a request log. Listens on 127.0.0.1 only, on a random port.
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
  /** The repo file it was about (resolve and LFS requests). */
  file?: string;
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
      res.writeHead(204, { ...CORS, 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': 'Range, Authorization', 'Access-Control-Max-Age': '600' });
      return res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, 'MethodNotAllowed', 'method not allowed');
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname.startsWith('/lfs/')) {
      const blob = lfs.get(u.pathname.slice(5));
      if (!blob) return error(res, 404, 'EntryNotFound', 'no such LFS object');
      log.file = blob.file;
      return serveData(req, res, log, blob.data, { ETag: `"${blob.sha256}"` }, blob.file);
    }
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (!m) return error(res, 404, undefined, 'not found');
    const repo = decodeURIComponent(m[1]);
    const rev = decodeURIComponent(m[2]);
    const path = m[3].split('/').map(decodeURIComponent).join('/');
    log.file = path;
    const fault = faults.get(path);
    if (fault?.status503Times) {
      fault.status503Times--;
      return error(res, 503, undefined, 'service unavailable');
    }
    if (!repos[repo]) return error(res, 401, 'RepoNotFound', 'Repository not found');
    const token = options.gated?.[repo];
    if (token !== undefined) {
      const auth = req.headers.authorization;
      if (!auth) return error(res, 401, 'GatedRepo', 'Access to this model is restricted. You must be authenticated to access it.');
      if (auth !== `Bearer ${token}`) return error(res, 403, 'GatedRepo', 'Access to this model is restricted and you are not in the authorized list.');
    }
    const files = repos[repo][rev];
    if (!files) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const data = files[path];
    if (!data) return error(res, 404, 'EntryNotFound', `${path} does not exist on "${rev}"`);
    if (data.byteLength >= lfsThreshold) {
      const sha256 = createHash('sha256').update(data).digest('hex');
      lfs.set(sha256, { data, sha256, file: path });
      res.writeHead(302, {
        ...CORS,
        Location: `/lfs/${sha256}`,
        'X-Linked-Size': String(data.byteLength),
        'X-Linked-Etag': `"${sha256}"`,
        ETag: `"${sha256}"`,
        'Content-Length': '0',
      });
      return res.end();
    }
    // Small (git) files: the ETag is a git blob id, not a sha256.
    const gitSha = createHash('sha1').update(`blob ${data.byteLength}\0`).update(data).digest('hex');
    return serveData(req, res, log, data, { ETag: `"${gitSha}"` }, path);
  }

  async function serveData(req: IncomingMessage, res: ServerResponse, log: LoggedRequest, data: Uint8Array, headers: Record<string, string>, path: string) {
    let fault = faults.get(path);
    if (fault?.times !== undefined && fault.times <= 0) fault = undefined;
    const size = data.byteLength;
    const requested = parseRange(req.headers.range, size);
    // `times` counts only responses the fault actually changes.
    if (fault?.times !== undefined) {
      const bodyBytes = Array.isArray(requested) ? requested[1] - requested[0] : size;
      const effective = !!fault.delayMs || !!fault.contentLengthDelta || (fault.ignoreRange && requested !== undefined)
        || (fault.cutAfterBytes !== undefined && fault.cutAfterBytes < bodyBytes);
      if (effective) fault.times--;
      else fault = undefined;
    }
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
    const body = data.subarray(begin, end);
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
    log.bytes = send;
    if (!cut) return res.end(body.subarray(0, send));
    res.flushHeaders();
    res.write(body.subarray(0, send), () => setTimeout(() => res.destroy(), 5));
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
