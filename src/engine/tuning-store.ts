/**
 * Persists the autotune's kernel choices per adapter in IndexedDB, so a page load after the first
 * skips the timing. The key includes a hash of the tuned kernels' source: editing a kernel
 * invalidates its old timings. Storage that is unavailable or full only costs a re-tune.
 */
// Every shader whose variants the autotune times (tests/unit/engine/tuning-store.test.ts checks
// that each matmul / attention shader the kernel wrappers use is here).
import attentionWgsl from '../../shaders/attention.wgsl';
import attentionFlashWgsl from '../../shaders/attention_flash.wgsl';
import attentionVec4Wgsl from '../../shaders/attention_vec4.wgsl';
import matmulWgsl from '../../shaders/matmul.wgsl';
import matmulCommonWgsl from '../../shaders/matmul_common.wgsl';
import matmulSharedWgsl from '../../shaders/matmul_shared.wgsl';
import matmulSubgroupWgsl from '../../shaders/matmul_subgroup.wgsl';
import matmulWideWgsl from '../../shaders/matmul_wide.wgsl';
import type { AttentionVariant } from '../gpu/attention-tiles.ts';
import type { Gpu } from '../gpu/device.ts';
import type { MatmulTile } from '../gpu/matmul-tiles.ts';

export interface KernelChoices {
  matmul?: Record<string, MatmulTile>;
  attention?: Record<string, AttentionVariant>;
}

const DB = 'dit-studio-tuning';
const STORE = 'kernel-choices';

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

const TUNED_SHADERS = [matmulCommonWgsl, matmulWgsl, matmulSharedWgsl, matmulSubgroupWgsl, matmulWideWgsl, attentionWgsl, attentionVec4Wgsl, attentionFlashWgsl];

export function tuningKey(gpu: Gpu): string {
  const a = gpu.adapterInfo;
  return `${a.vendor}|${a.architecture}|${a.description}|kernels ${fnv1a(TUNED_SHADERS.join('\n'))}`;
}

function open(): Promise<IDBDatabase | null> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = idb.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null);
    req.onblocked = () => resolve(null);
  });
}

function request<T>(db: IDBDatabase, mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T | null> {
  return new Promise((resolve) => {
    try {
      const req = op(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

export async function loadKernelChoices(key: string): Promise<KernelChoices | null> {
  const db = await open();
  if (!db) return null;
  try {
    const v = await request(db, 'readonly', (s) => s.get(key) as IDBRequest<KernelChoices | undefined>);
    return v ?? null;
  } finally {
    db.close();
  }
}

export async function saveKernelChoices(key: string, choices: KernelChoices): Promise<void> {
  const db = await open();
  if (!db) return;
  try {
    await request(db, 'readwrite', (s) => s.put(choices, key));
  } finally {
    db.close();
  }
}
