/**
 * `dit generate` end to end: the built-in model offline, and Hub models from a local Hub-layout
 * server — safetensors and .bin with legacy VAE names, through a cut connection, then from the
 * cache — checked against the CPU references (official DiT math, respacing str(N), 3-channel
 * guidance, VAE decode of latent / 0.18215, round(255 · clamp(x/2 + 0.5))) within ±1 per value.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgbaPng, readPngText } from '../../src/app/png.ts';
import { parseDitConfig } from '../../src/model/config.ts';
import { parseVaeConfig } from '../../src/model/vae-config.ts';
import { sampleLoop } from '../reference/sampling-loop.ts';
import { initialLatent, seededStepNoise } from '../../src/sampling/noise.ts';
import { SpacedDiffusion } from '../../src/sampling/schedule.ts';
import { ditForwardCpu, materialize } from '../reference/dit.ts';
import { vaeDecodeCpu, vaeWeightsCpu } from '../reference/vae.ts';
import { runCli } from '../support/cli.ts';
import { fixture, loadJson, tensorSource } from '../support/fixtures.ts';
import { TINY_REPO, tinyHubRepos } from '../support/hub-fixtures.ts';
import { startHubServer, type HubServer } from '../support/hub-server.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dit-generate-'));

/** What the reference code makes for the tiny DiT + tiny VAE: RGB bytes of the image. */
async function referenceImage(classId: number, steps: number, seed: number, cfg: number): Promise<Uint8Array> {
  const c = parseDitConfig(loadJson('dit/dit-tiny.config.json'));
  const w = await materialize(tensorSource('dit/dit-tiny.safetensors'));
  const latent = c.in_channels * c.input_size ** 2;
  const { final } = await sampleLoop({
    model: (x, t, y) => Float32Array.from(ditForwardCpu(w, c, x, Float32Array.from(t), Int32Array.from(y))),
    schedule: SpacedDiffusion.fromRespacing(String(steps)), sampler: 'ddpm', z: initialLatent(seed, latent),
    labels: [classId], channels: 4, cfgScale: cfg, numClasses: c.num_classes, noise: seededStepNoise(seed),
  });
  const vc = parseVaeConfig(loadJson('vae/tiny.config.json'));
  const z = Float32Array.from(final, (v) => v / 0.18215);
  const { sample } = vaeDecodeCpu(await vaeWeightsCpu(tensorSource('vae/tiny.safetensors'), vc), vc, z, [1, 4, 8, 8]);
  const [, , H, W] = sample.shape;
  const rgb = new Uint8Array(H * W * 3);
  for (let i = 0; i < H * W; i++) for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.round(255 * Math.min(1, Math.max(0, sample.data[ch * H * W + i] / 2 + 0.5)));
  return rgb;
}

async function readRgb(path: string): Promise<{ width: number; height: number; rgb: Uint8Array; text: Record<string, string> }> {
  const png = new Uint8Array(readFileSync(path));
  const img = await decodeRgbaPng(png);
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) rgb.set(img.rgba.subarray(i * 4, i * 4 + 3), i * 3);
  return { width: img.width, height: img.height, rgb, text: readPngText(png) };
}

function expectWithinOne(got: Uint8Array, want: Uint8Array): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThanOrEqual(1);
}

describe('dit generate from a Hub-layout server', () => {
  let hub: HubServer;
  let want: Uint8Array;
  const cacheDir = join(tmp, 'cache');
  const args = (output: string, extra: string[] = []) =>
    ['generate', '--hub-url', hub.url, '--repo', TINY_REPO, '--class', '3', '--steps', '4', '--seed', '7', '--cache-dir', cacheDir, '--quiet', '--output', output, ...extra];

  beforeAll(async () => {
    hub = await startHubServer({ repos: tinyHubRepos(), faults: { 'transformer/diffusion_pytorch_model.safetensors': { cutAfterBytes: 300_000, times: 1 } } });
    want = await referenceImage(3, 4, 7, 4);
    expect(new Set(want).size).toBeGreaterThan(20); // a real picture, not a saturated one
  });
  afterAll(async () => hub?.close());

  it('safetensors (refs/pr/1), through a connection cut mid-file, makes the reference image', async () => {
    const out = join(tmp, 'hub-safetensors.png');
    const r = await runCli(args(out, ['--revision', 'refs/pr/1']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const img = await readRgb(out);
    expect([img.width, img.height]).toEqual([16, 16]);
    expectWithinOne(img.rgb, want);
    expect(img.text['dit:class_id']).toBe('3');
    expect(img.text['dit:steps']).toBe('4');
    expect(img.text['dit:sampler']).toBe('ddpm');
    expect(hub.requests.some((q) => q.file === 'transformer/diffusion_pytorch_model.safetensors' && q.range?.startsWith('bytes=') && q.range !== 'bytes=0-0')).toBe(true);
  });

  it('a second run loads from the cache with no large-file request', async () => {
    const before = hub.requests.length;
    const out = join(tmp, 'hub-cached.png');
    const r = await runCli(args(out, ['--revision', 'refs/pr/1']));
    expect(r.code).toBe(0);
    expectWithinOne((await readRgb(out)).rgb, want);
    const large = hub.requests.slice(before).filter((q) => q.file?.endsWith('.safetensors') || q.file?.endsWith('.bin'));
    expect(large).toEqual([]);
  });

  it('PyTorch .bin with legacy VAE attention names (main) makes the same image', async () => {
    const out = join(tmp, 'hub-bin.png');
    const r = await runCli(args(out, ['--revision', 'main']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expectWithinOne((await readRgb(out)).rgb, want);
  });

  it('a missing repo is a clear error naming it, and no file is written', async () => {
    const out = join(tmp, 'missing.png');
    const r = await runCli(['generate', '--hub-url', hub.url, '--repo', 'nobody/nothing', '--class', '3', '--steps', '2', '--cache-dir', cacheDir, '--output', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nobody\/nothing/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});

describe('dit generate --model builtin (offline)', () => {
  it('lists the classes it knows: id, a tab, the name', async () => {
    const r = await runCli(['generate', '--model', 'builtin', '--list-classes']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(100);
    for (const line of lines) expect(line).toMatch(/^\d+\t\S/);
  });

  it('writes a 32x32 RGB PNG with its parameters', async () => {
    const out = join(tmp, 'builtin.png');
    const r = await runCli(['generate', '--model', 'builtin', '--class', 'banana', '--seed', '3', '--steps', '5', '--sampler', 'ddim', '--output', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const img = await readRgb(out);
    expect([img.width, img.height]).toEqual([32, 32]);
    expect(img.text['dit:class_id']).toBe('954');
    expect(img.text['dit:model']).toBe('builtin');
  });

  it('refuses a class the built-in model does not know', async () => {
    const out = join(tmp, 'unknown.png');
    const r = await runCli(['generate', '--model', 'builtin', '--class', '999', '--output', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/does not know class 999/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('dit generate --transformer FILE --vae FILE', () => {
  it('a truncated local file is named by its path, not by the URL the page read it from', async () => {
    const dir = join(tmp, 'local');
    for (const sub of ['transformer', 'vae']) mkdirSync(join(dir, sub), { recursive: true });
    const transformer = join(dir, 'transformer', 'diffusion_pytorch_model.safetensors');
    writeFileSync(transformer, readFileSync(fixture('dit/dit-tiny.safetensors')).subarray(0, 3000));
    copyFileSync(fixture('dit/dit-tiny.config.json'), join(dir, 'transformer', 'config.json'));
    copyFileSync(fixture('vae/tiny.safetensors'), join(dir, 'vae', 'diffusion_pytorch_model.safetensors'));
    copyFileSync(fixture('vae/tiny.config.json'), join(dir, 'vae', 'config.json'));
    const out = join(dir, 'out.png');
    const r = await runCli(['generate', '--transformer', transformer, '--vae', join(dir, 'vae', 'diffusion_pytorch_model.safetensors'), '--class', '3', '--steps', '2', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${transformer}: tensor`);
    expect(r.stderr).not.toMatch(/localhost|\/source\//);
    expect(existsSync(out)).toBe(false);
  });
});
