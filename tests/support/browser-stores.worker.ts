/**
 * Runs in a Chromium worker (bundled by browser-stores.ts): the WeightsStore checks against
 * OpfsStore and IdbStore, and Hub loads through them, answering one message at a time.
 */
import type { WeightsStore } from '../../src/weights/cache.ts';
import { openIdbStore } from '../../src/weights/idb-store.ts';
import { openOpfsStore } from '../../src/weights/opfs-store.ts';
import { loadHubWeights } from '../../src/weights/remote-files.ts';
import { Sha256 } from '../../src/weights/sha256.ts';
import { storeChecks } from './store-checks.ts';

export type WorkerRequest =
  | { op: 'checks' }
  | { op: 'load'; store: 'opfs' | 'idb'; hub: string; repo: string; subfolder: string };

let n = 0;
const stores: Record<'opfs' | 'idb', () => Promise<WeightsStore>> = {
  opfs: () => openOpfsStore(`check-${Date.now()}-${n++}`),
  idb: () => openIdbStore(`check-${Date.now()}-${n++}`),
};
const shared: Partial<Record<'opfs' | 'idb', WeightsStore>> = {};

async function handle(msg: WorkerRequest): Promise<unknown> {
  if (msg.op === 'checks') {
    const results: Array<{ store: string; check: string; error?: string }> = [];
    for (const [store, make] of Object.entries(stores)) {
      for (const [check, run] of Object.entries(storeChecks)) {
        try {
          await run(make);
          results.push({ store, check });
        } catch (e) {
          results.push({ store, check, error: String((e as Error)?.stack ?? e) });
        }
      }
    }
    return results;
  }
  const store = (shared[msg.store] ??= await stores[msg.store]());
  const loaded = await loadHubWeights({ hub: msg.hub, repo: msg.repo, store, retryDelayMs: 1, progressIntervalMs: 0 }, msg.subfolder);
  const h = await Sha256.create();
  for (let at = 0; at < loaded.source.size; at += 65536) h.update(await loaded.source.read(at, Math.min(loaded.source.size, at + 65536)));
  return { fromCache: loaded.fromCache, size: loaded.source.size, sha256: h.hex(), name: loaded.source.name };
}

self.onmessage = async (ev: MessageEvent<WorkerRequest>) => {
  try {
    self.postMessage({ ok: await handle(ev.data) });
  } catch (e) {
    self.postMessage({ error: String((e as Error)?.stack ?? e) });
  }
};
