/**
 * The gallery of past results: small PNG thumbnails plus the parameters that made them, kept in
 * IndexedDB (an in-memory list where IndexedDB is missing or refuses, e.g. some private modes).
 */
import type { Frame, GenerateParams } from '../engine/api';
import { encodePng } from './png';

/** Which model made an image, enough to select it again. */
export type ModelRef =
  | { kind: 'builtin' }
  | { kind: 'hub'; hubUrl: string; repo: string; revision: string }
  | { kind: 'files'; name: string };

export interface GalleryItem {
  id: string;
  createdAt: number;
  params: GenerateParams;
  model: ModelRef;
  modelId: string;
  modelName: string;
  width: number;
  height: number;
  /** A PNG data URL, at most THUMB_SIZE pixels a side. */
  thumbnail: string;
}

export interface GalleryStorage {
  /** Newest first. */
  list(): Promise<GalleryItem[]>;
  put(item: GalleryItem): Promise<void>;
  delete(id: string): Promise<void>;
  clear(): Promise<void>;
}

export const THUMB_SIZE = 128;
export const GALLERY_LIMIT = 60;

export function createMemoryGallery(initial: GalleryItem[] = []): GalleryStorage {
  let items = [...initial];
  return {
    async list() {
      return [...items].sort((a, b) => b.createdAt - a.createdAt);
    },
    async put(item) {
      items = [item, ...items.filter((i) => i.id !== item.id)];
    },
    async delete(id) {
      items = items.filter((i) => i.id !== id);
    },
    async clear() {
      items = [];
    },
  };
}

const DB_NAME = 'dit-studio';
const STORE = 'gallery';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) {
        db.createObjectStore(STORE, { keyPath: 'id' }).createIndex('createdAt', 'createdAt');
      }
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('cannot open IndexedDB'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

/** IndexedDB-backed gallery; falls back to memory (for this session) if IndexedDB fails. */
export function createIdbGallery(): GalleryStorage {
  if (typeof indexedDB === 'undefined') return createMemoryGallery();
  let dbPromise: Promise<IDBDatabase> | null = null;
  const fallback = createMemoryGallery();
  let failed = false;
  const db = () => (dbPromise ??= openDb());
  async function withStore<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => Promise<T>, onFail: () => Promise<T>): Promise<T> {
    if (failed) return onFail();
    try {
      const d = await db();
      const tx = d.transaction(STORE, mode);
      const done = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
        tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
      });
      const result = await fn(tx.objectStore(STORE));
      await done;
      return result;
    } catch (e) {
      console.warn('Gallery storage unavailable, keeping results in memory only:', e);
      failed = true;
      return onFail();
    }
  }
  return {
    list: () =>
      withStore(
        'readonly',
        async (s) => ((await request(s.getAll())) as GalleryItem[]).sort((a, b) => b.createdAt - a.createdAt),
        () => fallback.list(),
      ),
    put: (item) => withStore('readwrite', async (s) => void (await request(s.put(item))), () => fallback.put(item)),
    delete: (id) => withStore('readwrite', async (s) => void (await request(s.delete(id))), () => fallback.delete(id)),
    clear: () => withStore('readwrite', async (s) => void (await request(s.clear())), () => fallback.clear()),
  };
}

/** Box-downscales an RGBA frame so that its longer side is at most `max` (integer factors only). */
export function downscaleFrame(frame: Frame, max: number): Frame {
  const f = Math.ceil(Math.max(frame.width, frame.height) / max);
  if (f <= 1) return frame;
  const w = Math.floor(frame.width / f);
  const h = Math.floor(frame.height / f);
  const out = new Uint8ClampedArray(w * h * 4);
  const n = f * f;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let dy = 0; dy < f; dy++) {
          const row = ((y * f + dy) * frame.width + x * f) * 4 + c;
          for (let dx = 0; dx < f; dx++) sum += frame.rgba[row + dx * 4];
        }
        out[(y * w + x) * 4 + c] = Math.round(sum / n);
      }
    }
  }
  return { width: w, height: h, rgba: out };
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A small PNG of the frame as a data URL, with optional PNG text chunks (e.g. the picture's link). */
export async function thumbnailDataUrl(frame: Frame, text: Record<string, string> = {}): Promise<string> {
  const small = downscaleFrame(frame, THUMB_SIZE);
  return 'data:image/png;base64,' + toBase64(await encodePng(small, text));
}

export function newItemId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
