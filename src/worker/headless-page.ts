/**
 * The engine page of the headless host: starts the engine worker and lets Node call it through
 * `window.dit.call(method, args)`. Binary arguments and results travel through the local server.
 */
import { wrap } from 'comlink';
import { fromBytes, replaceArrays, resolveRefs } from './wire.ts';

const worker = new Worker('/worker.js', { type: 'module' });
const engine = wrap<Record<string, (...args: unknown[]) => Promise<unknown>>>(worker);

async function call(method: string, args: unknown[]): Promise<{ ok: unknown } | { error: string }> {
  try {
    const resolved = (await resolveRefs(args, async (ref) => fromBytes(ref.type, await (await fetch(`/blob/${ref.$blob}`)).arrayBuffer()))) as unknown[];
    const result = await engine[method](...resolved);
    const encoded = await replaceArrays(result, async (a, type) => {
      const res = await fetch('/blob', { method: 'POST', body: new Uint8Array(a.buffer as ArrayBuffer, a.byteOffset, a.byteLength) });
      return { $blob: await res.text(), type };
    });
    return { ok: encoded };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

(globalThis as unknown as { dit: unknown }).dit = { call, ready: true };
