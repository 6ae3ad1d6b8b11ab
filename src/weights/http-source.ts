/**
 * A ByteSource over a URL: every read is a Range request (following redirects, as the Hub's
 * resolve URLs redirect to a CDN), checked for the right Content-Range and length, and retried
 * when the connection drops or stalls. Servers that ignore Range are read front to back instead.
 */
import { WeightsError } from './errors.ts';
import { bodyPieces, readExactBody } from './http-body.ts';
import {
  discard, hostOf, httpRequest, intHeader, parseContentRange, parseUnsatisfiedRange, versionOf, withRetries,
  type HttpOptions, type HttpResponse,
} from './http.ts';
import { isSha256Hex } from './sha256.ts';
import { checkReadRange, type ByteSource } from './source.ts';

export interface RemoteFile {
  /** The URL to read (before redirects; each read follows them again, so signed CDN URLs never go stale). */
  url: string;
  size: number;
  /** The version tag, unquoted: the Hub's X-Linked-Etag where it is seen, else the final answer's ETag. */
  etag?: string;
  /**
   * The file's sha256 from its source of truth (the Hub's X-Linked-Etag, or its API where a browser
   * hides the redirect), never from a CDN's ETag; undefined when unknown, and then nothing is
   * recorded as verified.
   */
  sha256?: string;
  /** Whether the server honours Range requests. */
  rangeReads: boolean;
  /** Whether the URL redirected (on the Hub: an LFS file, served by its CDN). */
  redirected?: boolean;
  /** True where the runtime hides redirects (browsers): X-Linked-Etag could not be read. */
  redirectsHidden?: boolean;
}

/** Finds a URL's size, version, sha256 and Range support with a one-byte ranged GET (retried like any read). */
export async function probeUrl(url: string, opts: HttpOptions = {}): Promise<RemoteFile> {
  return withRetries(opts, async () => {
    const r = await httpRequest(url, { range: { begin: 0, end: 1 }, allow: [416] }, opts);
    const { res } = r;
    await discard(res);
    const file = (size: number, rangeReads: boolean): RemoteFile => {
      const linked = r.linked;
      if (linked.size !== undefined && linked.size !== size) {
        throw new WeightsError('http', `${url}: the Hub gives its size as ${linked.size} bytes (X-Linked-Size) but ${hostOf(r.finalUrl)} serves ${size}`, { url, status: res.status });
      }
      return {
        url, size, rangeReads, etag: versionOf(r),
        sha256: isSha256Hex(linked.etag) ? linked.etag.toLowerCase() : undefined,
        redirected: r.redirected, redirectsHidden: r.redirectsHidden,
      };
    };
    if (res.status === 416) {
      // Only an empty file cannot satisfy bytes=0-0.
      const size = parseUnsatisfiedRange(res.headers.get('content-range'));
      if (size !== 0) throw new WeightsError('http', `${url} refused the range bytes=0-0`, { url, status: 416 });
      return file(0, true);
    }
    if (res.status === 206) {
      const cr = parseContentRange(res.headers.get('content-range'));
      if (!cr || cr.begin !== 0 || cr.size === undefined) throw new WeightsError('http', `${url} answered 206 without a usable Content-Range (is it exposed to CORS?)`, { url, status: 206 });
      return file(cr.size, true);
    }
    const size = intHeader(res.headers, 'content-length');
    if (size === undefined) throw new WeightsError('unsupported', `${url} supports neither Range requests nor Content-Length, so its size is unknown`, { url, status: res.status });
    return file(size, false);
  });
}

export function httpSource(file: RemoteFile, opts: HttpOptions = {}): ByteSource {
  const { url, size } = file;
  const withSignal = (signal?: AbortSignal): HttpOptions => ({ ...opts, signal: signal ?? opts.signal });

  const checkVersion = (r: HttpResponse) => {
    const etag = versionOf(r);
    if (file.etag && etag && etag !== file.etag) {
      throw new WeightsError('http', `${url} changed on the server while being read (ETag ${file.etag} became ${etag})`, { url, status: r.res.status });
    }
  };

  async function* stream(begin: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const o = withSignal(signal);
    const r = await withRetries(o, () => httpRequest(url, {}, o));
    checkVersion(r);
    let pos = 0;
    for await (const piece of bodyPieces(r, o)) {
      if (pos + piece.byteLength > begin) yield pos >= begin ? piece : piece.subarray(begin - pos);
      pos += piece.byteLength;
    }
    if (pos !== size) throw new WeightsError('truncated', `${url}: body ended after ${pos} of ${size} bytes`, { url });
  }

  const source: ByteSource = {
    name: url,
    size,
    etag: file.etag,
    rangeReads: file.rangeReads,
    async read(begin, end, signal) {
      checkReadRange(source, begin, end);
      if (begin === end) return new Uint8Array(0);
      if (!file.rangeReads) return readByStreaming(begin, end, signal);
      const o = withSignal(signal);
      return withRetries(o, async () => {
        const r = await httpRequest(url, { range: { begin, end } }, o);
        const { res } = r;
        checkVersion(r);
        if (res.status !== 206) {
          await discard(res);
          throw new WeightsError('http', `${url} answered ${res.status} instead of 206 to a Range request`, { url, status: res.status });
        }
        const cr = parseContentRange(res.headers.get('content-range'));
        if (!cr || cr.begin !== begin || cr.end !== end || (cr.size !== undefined && cr.size !== size)) {
          await discard(res);
          throw new WeightsError('http', `${url} answered bytes ${res.headers.get('content-range')} to a request for bytes ${begin}-${end - 1}/${size}`, { url, status: 206 });
        }
        return readExactBody(r, end - begin, o);
      });
    },
    stream,
  };

  async function readByStreaming(begin: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
    const out = new Uint8Array(end - begin);
    let filled = 0;
    const it = stream(begin, signal);
    try {
      for await (const piece of it) {
        const take = Math.min(piece.byteLength, out.byteLength - filled);
        out.set(piece.subarray(0, take), filled);
        filled += take;
        if (filled === out.byteLength) break;
      }
    } finally {
      await it.return(undefined);
    }
    if (filled < out.byteLength) throw new WeightsError('truncated', `${url}: body ended before byte ${end}`, { url });
    return out;
  }

  return source;
}

/** A URL (with Range support, or read front to back without) as a ByteSource. */
export async function urlSource(url: string, signal?: AbortSignal): Promise<ByteSource> {
  return httpSource(await probeUrl(url, { signal }), { signal });
}
