/**
 * The peer, Node side: makes the ONNX files (tools/peer/export_onnx.py, cached under
 * .cache/bench/onnx/ by a hash of the script, the model code, the spec and the weights), and
 * drives onnxruntime-web in its own page of the bench's Chromium.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import type { TestHost as BrowserHost } from '../../support/test-host.ts';
import { cachePath, ROOT } from '../context.ts';
import type { PeerInfo, PeerJob, ProviderResult } from './ort-runner.ts';

export const PYTHON = '/usr/bin/python3';
const EXPORT_SCRIPT = join(ROOT, 'tools/peer/export_onnx.py');
const MODEL_CODE = join(ROOT, 'tools/builtin/dit.py');
export const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');

export interface OnnxJob {
  name: string;
  kind: 'dit' | 'linear' | 'attention' | 'ln_modulate' | 'dit_block';
  spec: Record<string, unknown>;
  /** Safetensors file with the model's weights (none for weightless ops). */
  weights?: string;
}

const sha256 = (...parts: (string | Uint8Array)[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

function onnxPath(job: OnnxJob): string {
  const key = sha256(readFileSync(EXPORT_SCRIPT), readFileSync(MODEL_CODE), JSON.stringify([job.kind, job.spec]), job.weights ? readFileSync(job.weights) : '');
  return cachePath('onnx', `${job.name}-${key.slice(0, 16)}.onnx`);
}

function pythonReady(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { stdio: 'ignore' }).status === 0;
}

/** Debian's torch, onnx and numpy, installed when missing (only when an ONNX file must be made). */
function ensurePython(log: (l: string) => void): void {
  if (pythonReady()) return;
  log('peer: installing python3-torch python3-onnx python3-numpy (apt-get) to export the ONNX files');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'python3-torch', 'python3-onnx', 'python3-numpy'], { stdio: 'inherit', env });
  if (r.status !== 0 || !pythonReady()) throw new Error('could not install python3-torch, python3-onnx and python3-numpy (apt-get failed)');
}

/** The ONNX file of each job, exporting the missing ones in one Python run. */
export function ensureOnnx(jobs: OnnxJob[], log: (l: string) => void): Record<string, string> {
  const paths: Record<string, string> = {};
  const missing: (OnnxJob & { out: string })[] = [];
  for (const job of jobs) {
    paths[job.name] = onnxPath(job);
    if (!existsSync(paths[job.name])) missing.push({ ...job, out: paths[job.name] });
  }
  if (missing.length) {
    ensurePython(log);
    log(`peer: exporting ${missing.map((j) => j.name).join(', ')} to ONNX (tools/peer/export_onnx.py)`);
    const jobsFile = cachePath('onnx', 'jobs.json');
    writeFileSync(jobsFile, JSON.stringify(missing.map((j) => ({ kind: j.kind, spec: j.spec, weights: j.weights ?? null, out: j.out })), null, 1));
    const r = spawnSync(PYTHON, [EXPORT_SCRIPT, jobsFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw new Error(`ONNX export failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
  return paths;
}

const PEER_HTML = '<!doctype html><meta charset="utf-8"><title>DiT bench peer</title><script type="module" src="/bench/peer.js"></script>';

/** Bundles the page-side runner into the folder the host serves as /bench/. */
export async function writePeerPage(): Promise<string> {
  const dir = cachePath('www', 'peer.html').replace(/peer\.html$/, '');
  const result = await build({
    entryPoints: [join(ROOT, 'tests/bench/peer/ort-runner.ts')], bundle: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent',
  });
  writeFileSync(join(dir, 'peer.js'), result.outputFiles[0].text);
  writeFileSync(join(dir, 'peer.html'), PEER_HTML);
  return dir;
}

export class Peer {
  private constructor(private readonly page: Page, readonly info: PeerInfo) {}

  static async open(host: BrowserHost, opts: { wasmThreads: number; verbose: boolean }): Promise<Peer> {
    const page = await host.newPage();
    if (opts.verbose) page.on('console', (m) => process.stderr.write(`[peer] ${m.text()}\n`));
    await page.goto(`${host.origin}/bench/peer.html`);
    await page.waitForFunction(() => (globalThis as unknown as { peer?: { ready: boolean } }).peer?.ready === true, undefined, { timeout: 60_000 });
    const info = (await page.evaluate(
      (o) => (globalThis as unknown as { peer: { init(o: unknown): Promise<unknown> } }).peer.init(o),
      { wasmThreads: opts.wasmThreads },
    )) as PeerInfo;
    return new Peer(page, info);
  }

  async run(job: PeerJob): Promise<ProviderResult[]> {
    return (await this.page.evaluate((j) => (globalThis as unknown as { peer: { run(j: unknown): Promise<unknown> } }).peer.run(j), job)) as ProviderResult[];
  }
}
