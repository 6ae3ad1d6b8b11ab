/** Input the command line refuses before any work (no browser starts): one line on stderr, no file. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile, toFloat32, toInt32, writeSafetensors, type TensorToWrite } from '../../src/weights/safetensors.ts';
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

describe('dit forward refuses bad numbers in its inputs before any work', () => {
  const tiny = 'dit/dit-tiny';
  const io = SafetensorsFile.fromBytes(readFileSync(fixture(`${tiny}.io.safetensors`)));
  const write = (name: string, x: Float32Array, t: Float32Array, y: TensorToWrite) => {
    const p = join(tmp, name);
    writeFileSync(p, writeSafetensors({ x: { dtype: 'F32', shape: io.entry('x').shape, data: x }, t: { dtype: 'F32', shape: [t.length], data: t }, y }));
    return p;
  };
  const x = io.float32('x');
  const t = toFloat32(io.raw('t'));
  const y: TensorToWrite = { dtype: 'I64', shape: [t.length], data: BigInt64Array.from(toInt32(io.raw('y')), (v) => BigInt(v)) };
  const forward = (inputs: string) => runCli(['forward', '--weights', fixture(`${tiny}.safetensors`), '--config', fixture(`${tiny}.config.json`), '--inputs', inputs, '--output', join(tmp, 'f.safetensors')]);

  it('NaN in x', async () => {
    const bad = x.slice();
    bad[5] = NaN;
    const r = await forward(write('nan-x.safetensors', bad, t, y));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/inputs x holds a non-finite value \(NaN\) at index 5/);
  }, 30_000);

  it('Inf in t', async () => {
    const bad = t.slice();
    bad[1] = Infinity;
    const r = await forward(write('inf-t.safetensors', x, bad, y));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/inputs t holds a non-finite value \(Infinity\) at index 1/);
  }, 30_000);

  it('an I64 label of 2^40', async () => {
    const wide = BigInt64Array.from(y.data as BigInt64Array);
    wide[0] = 2n ** 40n;
    const r = await forward(write('wide-y.safetensors', x, t, { ...y, data: wide }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/inputs y: value 1099511627776 at index 0 does not fit in 32 bits/);
    expect(existsSync(join(tmp, 'f.safetensors'))).toBe(false);
  }, 30_000);
});
