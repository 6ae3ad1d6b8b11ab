/**
 * Streaming SHA-256 in headless Chromium: our previous JS one (tests/bench/sha256-js.ts) against @noble/hashes and
 * hash-wasm (issue 14). Each implementation hashes the same GiB, generated chunk by chunk inside a
 * module Web Worker (where the engine verifies downloads), never held whole. Passes interleave
 * (ours, noble, hash-wasm, again); only the update and digest calls are timed, not the data
 * generation. The digests must agree.
 *
 *   npx tsx tests/bench/sha256-bench.ts [--mib 1024] [--chunk-mib 4] [--reps 3] [--only ours,noble,hash-wasm]
 *
 * No WebGPU is involved: plain CPU hashing in V8 (JS) and V8's WebAssembly.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ALL = ['ours', 'noble', 'hash-wasm'] as const;

type Impl = (typeof ALL)[number];
interface Args { mib: number; chunkMib: number; reps: number; only: Impl[] }

function parseArgs(argv: string[]): Args {
  const a: Args = { mib: 1024, chunkMib: 4, reps: 3, only: [...ALL] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--mib') a.mib = Number(v);
    else if (argv[i] === '--chunk-mib') a.chunkMib = Number(v);
    else if (argv[i] === '--reps') a.reps = Number(v);
    else if (argv[i] === '--only') a.only = (v ?? '').split(',') as Impl[];
    else throw new Error(`unknown argument ${argv[i]}`);
    i++;
  }
  for (const n of a.only) if (!ALL.includes(n)) throw new Error(`--only: unknown implementation ${n} (${ALL.join(', ')})`);
  return a;
}

// The worker: the implementations behind one streaming interface. The libraries are imported
// only when installed (noble is not a dependency: `npm install --no-save @noble/hashes` to compare it).
const IMPLS: Record<Impl, { pkg?: string; imports: string; make: string }> = {
  ours: {
    imports: "import { Sha256 } from './tests/bench/sha256-js.ts';",
    make: 'async () => { const h = new Sha256(); return { update: (c) => h.update(c), hex: () => h.hex() }; }',
  },
  noble: {
    pkg: '@noble/hashes',
    imports: "import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';",
    make: 'async () => { const h = nobleSha256.create(); return { update: (c) => h.update(c), hex: () => hex(h.digest()) }; }',
  },
  'hash-wasm': {
    pkg: 'hash-wasm',
    imports: "import { createSHA256 } from 'hash-wasm';",
    make: "async () => { const h = await createSHA256(); h.init(); return { update: (c) => h.update(c), hex: () => h.digest('hex') }; }",
  },
};

const installed = (name: Impl) => {
  const pkg = IMPLS[name].pkg;
  return pkg === undefined || existsSync(join(ROOT, 'node_modules', pkg, 'package.json'));
};

const workerSource = (names: readonly Impl[]) => `
${names.map((n) => IMPLS[n].imports).join('\n')}

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const makers = {
${names.map((n) => `  '${n}': ${IMPLS[n].make},`).join('\n')}
};

/** Deterministic bytes for chunk i (xorshift32), the same on every pass. */
function fill(words, i) {
  let x = (0x9e3779b9 ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0 || 1;
  for (let k = 0; k < words.length; k++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[k] = x; }
}

self.onmessage = async ({ data: { name, bytes, chunkBytes } }) => {
  try {
    const h = await makers[name]();
    const buf = new Uint8Array(chunkBytes);
    const words = new Uint32Array(buf.buffer);
    let ms = 0;
    for (let i = 0, at = 0; at < bytes; i++, at += chunkBytes) {
      const n = Math.min(chunkBytes, bytes - at);
      fill(words, i);
      const view = n === chunkBytes ? buf : buf.subarray(0, n);
      const t0 = performance.now();
      h.update(view);
      ms += performance.now() - t0;
    }
    const t0 = performance.now();
    const digest = h.hex();
    ms += performance.now() - t0;
    self.postMessage({ ok: { name, ms, digest } });
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e) });
  }
};
`;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
const w = new Worker('/worker.js', { type: 'module' });
window.hashPass = (msg) => new Promise((resolve, reject) => {
  w.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data.ok));
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage(msg);
});
window.ready = true;
</script>`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const missing = args.only.filter((n) => !installed(n));
  if (missing.length > 0) console.log(`skipping ${missing.join(', ')}: not installed (npm install --no-save ${missing.map((n) => IMPLS[n].pkg).join(' ')})`);
  args.only = args.only.filter(installed);
  const bundle = await build({
    stdin: { contents: workerSource(args.only), resolveDir: ROOT, loader: 'js', sourcefile: 'sha256-bench-worker.js' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, minify: false, logLevel: 'error',
  });
  const workerJs = bundle.outputFiles[0].text;
  const server = http.createServer((req, res) => {
    if (req.url === '/worker.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(workerJs);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: process.env.DIT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const bytes = args.mib * 2 ** 20;
    const chunkBytes = args.chunkMib * 2 ** 20;
    console.log(`Chromium ${browser.version()}, ${new Date().toISOString().slice(0, 10)}, ${args.mib} MiB in ${args.chunkMib} MiB chunks, ${args.reps} interleaved passes, module Web Worker`);
    // A short untimed warm-up of each, so the first timed pass is not the JIT's.
    for (const name of args.only) await page.evaluate((m) => (window as any).hashPass(m), { name, bytes: 16 * 2 ** 20, chunkBytes });
    const rates: Record<string, number[]> = {};
    const digests = new Set<string>();
    for (let r = 0; r < args.reps; r++) {
      for (const name of args.only) {
        const out = (await page.evaluate((m) => (window as any).hashPass(m), { name, bytes, chunkBytes })) as { ms: number; digest: string };
        const mbs = bytes / 1e6 / (out.ms / 1e3);
        (rates[name] ??= []).push(mbs);
        digests.add(out.digest);
        console.log(`  pass ${r + 1} ${name.padEnd(9)} ${(out.ms / 1e3).toFixed(2).padStart(6)} s  ${mbs.toFixed(1).padStart(7)} MB/s  ${out.digest}`);
      }
    }
    console.log('\n| implementation | min MB/s | median MB/s | max MB/s |\n| --- | ---: | ---: | ---: |');
    for (const name of args.only) {
      const xs = rates[name];
      console.log(`| ${name} | ${Math.min(...xs).toFixed(0)} | ${median(xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} |`);
    }
    if (digests.size !== 1) {
      console.error(`digests differ: ${[...digests].join(', ')}`);
      return 1;
    }
    console.log(`\nall digests agree: ${[...digests][0]}`);
    return 0;
  } finally {
    await browser.close();
    server.close();
  }
}

process.exitCode = await main();
