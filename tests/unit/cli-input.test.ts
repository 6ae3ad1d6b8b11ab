/** Input the command line refuses before any work (no browser starts): one line on stderr, no file. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { fixture } from '../support/fixtures.ts';

const tmp = mkdtempSync(join(tmpdir(), 'dit-cli-input-'));
const sampleArgs = (extra: string[]) => [
  'sample', '--weights', fixture('dit/dit-tiny.safetensors'), '--config', fixture('dit/dit-tiny.config.json'), '--labels', '3',
  '--respacing', '10', '--sampler', 'ddim', '--seed', '0', ...extra,
];

describe('the command line refuses bad input before any work', () => {
  it('an empty --cfg is not 0', async () => {
    const r = await runCli(sampleArgs(['--cfg', '', '--output', join(tmp, 'a.safetensors')]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--cfg must be a number, got ""/);
  }, 30_000);

  it('a negative --eta', async () => {
    const r = await runCli(sampleArgs(['--cfg', '4', '--eta', '-5', '--output', join(tmp, 'b.safetensors')]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--eta must be 0 or more, got -5/);
    expect(existsSync(join(tmp, 'b.safetensors'))).toBe(false);
  }, 30_000);

  it('an output folder that does not exist, named before the computation', async () => {
    const out = join(tmp, 'missing', 'c.safetensors');
    const r = await runCli(sampleArgs(['--cfg', '4', '--output', out]));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`the folder ${join(tmp, 'missing')} does not exist`);
  }, 30_000);

  it('a reader that closes the pipe early (`dit schedule | head -c 10`) ends it quietly', async () => {
    const bin = fileURLToPath(new URL('../../bin/dit.mjs', import.meta.url));
    // 180 kB of JSON into a pipe whose reader leaves after 10 bytes: the writer gets EPIPE.
    const child = spawn('sh', ['-c', `"${process.execPath}" "${bin}" schedule --respacing 1000 2>&3 | head -c 10 >/dev/null`], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stdio[3]!.on('data', (d) => (stderr += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
  }, 30_000);
});
