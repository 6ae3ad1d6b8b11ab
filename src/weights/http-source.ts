/**
 * A ByteSource over a URL: every read is a Range request (following redirects, as the Hub's
 * resolve URLs redirect to a CDN), checked for the right Content-Range and length, and retried
 * when the connection drops. Servers that ignore Range are read front to back instead.
 */
import { WeightsError } from './errors.ts';
import {
  bodyPieces, discard, etagOf, httpRequest, intHeader, parseContentRange, parseUnsatisfiedRange, readExactBody, withRetries,
  type HttpOptions,
} from './http.ts';
import { checkReadRange, type ByteSource } from './source.ts';

export interface RemoteFile {
  /** The URL to read (before redirects; each read follows them again, so signed CDN URLs never go stale). */
  url: string;
  size: number;
  /** From the final answer: X-Linked-Etag or ETag, unquoted (the sha256 for Hub LFS files). */
  etag?: string;
  /** Whether the server honours Range requests. */
  rangeReads: boolean;
}

/** Finds a URL's size, version and Range support with a one-byte ranged GET (retried like any read). */
export async function probeUrl(url: string, opts: HttpOptions = {}): Promise<RemoteFile> {
  return withRetries(opts, async () => {
    const res = await httpRequest(url, { range: { begin: 0, end: 1 }, allow: [416] }, opts);
    const etag = etagOf(res.headers);
    await discard(res);
    if (res.status === 416) {
      // Only an empty file cannot satisfy bytes=0-0.
      const size = parseUnsatisfiedRange(res.headers.get('content-range'));
      if (size !== 0) throw new WeightsError('http', `${url} refused the range bytes=0-0`, { url, status: 416 });
      return { url, size: 0, etag, rangeReads: true };
    }
    if (res.status === 206) {
      const cr = parseContentRange(res.headers.get('content-range'));
      if (!cr || cr.begin !== 0 || cr.size === undefined) throw new WeightsError('http', `${url} answered 206 without a usable Content-Range (is it exposed to CORS?)`, { url, status: 206 });
      return { url, size: cr.size, etag, rangeReads: true };
    }
    const size = intHeader(res.headers, 'content-length');
    if (size === undefined) throw new WeightsError('unsupported', `${url} supports neither Range requests nor Content-Length, so its size is unknown`, { url, status: res.status });
    return { url, size, etag, rangeReads: false };
  });
}

export function httpSource(file: RemoteFile, opts: HttpOptions = {}): ByteSource {
  const { url, size } = file;
  const withSignal = (signal?: AbortSignal): HttpOptions => ({ ...opts, signal: signal ?? opts.signal });

  const checkVersion = (res: Response) => {
    const etag = etagOf(res.headers);
    if (file.etag && etag && etag !== file.etag) {
      throw new WeightsError('http', `${url} changed on the server while being read (ETag ${file.etag} became ${etag})`, { url, status: res.status });
    }
  };

  async function* stream(begin: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const res = await withRetries(withSignal(signal), () => httpRequest(url, {}, withSignal(signal)));
    checkVersion(res);
    let pos = 0;
    for await (const piece of bodyPieces(res, url, signal)) {
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
        const res = await httpRequest(url, { range: { begin, end } }, o);
        checkVersion(res);
        if (res.status !== 206) {
          await discard(res);
          throw new WeightsError('http', `${url} answered ${res.status} instead of 206 to a Range request`, { url, status: res.status });
        }
        const cr = parseContentRange(res.headers.get('content-range'));
        if (!cr || cr.begin !== begin || cr.end !== end || (cr.size !== undefined && cr.size !== size)) {
          await discard(res);
          throw new WeightsError('http', `${url} answered bytes ${res.headers.get('content-range')} to a request for bytes ${begin}-${end - 1}/${size}`, { url, status: 206 });
        }
        return readExactBody(res, end - begin, url, signal);
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
