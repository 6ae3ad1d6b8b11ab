/**
 * Checks the browser stores (OpfsStore, IdbStore) in headless Chromium: the shared store checks,
 * then a Hub download through each store from the local test Hub (CORS, redirects, Range in a
 * real browser), a cached reload with no request, and a resume after a cut connection.
 *
 *   npx tsx tests/support/browser-stores.ts          (CHROMIUM=/path/to/chrome to choose the browser)
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { writeSafetensors } from '../../src/weights/safetensors.ts';
import { startHubServer } from './hub-server.ts';
import type { WorkerRequest } from './browser-stores.worker.ts';

const REPO = 'org/model';
const FILE = 'transformer/diffusion_pytorch_model.safetensors';

async function main(): Promise<number> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./browser-stores.worker.ts', import.meta.url))],
    bundle: true, write: false, format: 'esm', target: 'es2022',
  });
  const workerJs = bundle.outputFiles[0].text;
  const page = `<!doctype html><script>
    const worker = new Worker('/worker.js', { type: 'module' });
    let pending;
    worker.onmessage = (e) => pending(e.data);
    window.call = (msg) => new Promise((resolve) => { pending = resolve; worker.postMessage(msg); });
  </script>`;
  const site = createServer((req, res) => {
    const js = req.url === '/worker.js';
    res.writeHead(200, { 'Content-Type': js ? 'text/javascript' : 'text/html' });
    res.end(js ? workerJs : page);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;

  // A real weights file: a cached one must open (src/weights/cache-check.ts).
  const model = writeSafetensors({ w: { dtype: 'U8', shape: [3_000_000], data: Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 2654435761) >>> 24) } });
  const sha = createHash('sha256').update(model).digest('hex');
  const hub = await startHubServer({ repos: { [REPO]: { main: { [FILE]: model } } } });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  let failures = 0;
  const fail = (what: string) => { failures++; console.log(`FAIL ${what}`); };
  try {
    const tab = await browser.newPage();
    await tab.goto(siteUrl);
    const call = async (msg: WorkerRequest) => {
      const r = (await tab.evaluate((m) => (window as unknown as { call(m: unknown): Promise<unknown> }).call(m), msg)) as { ok?: unknown; error?: string };
      if (r.error) throw new Error(r.error);
      return r.ok;
    };

    const results = (await call({ op: 'checks' })) as Array<{ store: string; check: string; error?: string }>;
    for (const r of results) {
      if (r.error) fail(`${r.store}: ${r.check}\n${r.error}`);
      else console.log(`ok   ${r.store}: ${r.check}`);
    }

    for (const store of ['opfs', 'idb'] as const) {
      const load = { op: 'load', store, hub: hub.url, repo: REPO, subfolder: 'transformer' } as const;
      hub.setFault(FILE, { cutAfterBytes: 1_000_000, times: 1 });
      hub.requests.length = 0;
      const first = (await call(load)) as { fromCache: boolean; sha256: string };
      const resumed = hub.requests.some((r) => r.range === 'bytes=1000000-' && r.status === 206);
      if (first.fromCache || first.sha256 !== sha || !resumed) fail(`${store}: download with a resume (${JSON.stringify(first)}, resumed: ${resumed})`);
      else console.log(`ok   ${store}: download through CORS/302/Range, resumed after a cut, sha256 verified`);
      hub.requests.length = 0;
      const second = (await call(load)) as { fromCache: boolean; sha256: string };
      if (!second.fromCache || second.sha256 !== sha || hub.requests.length > 0) fail(`${store}: cached reload (${JSON.stringify(second)}, ${hub.requests.length} requests)`);
      else console.log(`ok   ${store}: cached reload with no request`);
    }
  } finally {
    await browser.close();
    await hub.close();
    site.close();
  }
  console.log(failures ? `${failures} failed` : 'all passed');
  return failures ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
