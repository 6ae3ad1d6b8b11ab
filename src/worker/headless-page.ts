/**
 * The engine page of the headless host: starts the engine worker and lets Node call it through
 * `window.dit.call(path, args)`, `path` naming an object the worker exposes and its method
 * (`['engine', 'loadDit']`). Binary arguments and results travel through the local server.
 */
import { wrap } from 'comlink';
import { fromBytes, replaceArrays, resolveRefs } from './wire.ts';

type Callable = (...args: unknown[]) => Promise<unknown>;
type RemoteTree = { [name: string]: RemoteTree } & Callable;

const worker = new Worker('/worker.js', { type: 'module' });
const api = wrap<unknown>(worker) as unknown as RemoteTree;

async function call(path: string[], args: unknown[]): Promise<{ ok: unknown } | { error: string }> {
  try {
    const resolved = (await resolveRefs(args, async (ref) => fromBytes(ref.type, await (await fetch(`/blob/${ref.$blob}`)).arrayBuffer()))) as unknown[];
    const method = path.reduce((node, name) => node[name], api);
    const result = await method(...resolved);
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
