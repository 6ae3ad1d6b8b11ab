/**
 * Hostile weights files are refused quickly, with a message that says why, inside a bounded amount
 * of memory (issue 16: a 32 MiB .bin of EMPTY_DICT opcodes took 103 s and 4.7 GB, then crashed).
 * The files are opened in a separate Node process (tests/fuzz/heap-probe.ts) capped at 512 MiB of
 * heap, which reports how far its peak resident memory rose for each: a reader without bounds
 * either dies there or shows a rise far past the bound checked here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PICKLE_BYTES, readTorchPickle, TORCH_GLOBALS } from '../../../src/weights/torch-zip.ts';
import { PICKLE_MEMORY_BUDGET, unpickle } from '../../../src/weights/unpickle.ts';
import { HOSTILE } from '../../fuzz/hostile.ts';
import { probeFiles, type ProbeResult } from '../../fuzz/probe-client.ts';
import { fixture, unzipStored } from '../../support/torch-fixtures.ts';

const MiB = 1024 * 1024;
/**
 * The whole process's peak may rise this much while a hostile file is refused: the 64 MiB budget
 * plus room for the input buffers, the decoded JSON text and V8's young generation.
 */
const PEAK_BOUND = 128 * MiB;

/** What each refusal must say. */
const EXPECTED: Record<string, RegExp> = {
  'dict bomb, 32 MiB pickle': /data\.pkl" is 33554432 bytes, over the 2 MiB limit \(DiT-XL\/2's pickle is about 50 KB\), so the file is damaged or hostile/,
  'dict bomb, 2 MiB pickle': /more than 100000 values on the stack at once/,
  'dict bomb, dicts kept in a list': /more than the 64 MiB memory budget \(most of it for \d+ dicts\).*damaged or hostile/,
  'memo growth': /more than the 64 MiB memory budget \(most of it for \d+ memo entries\)/,
  'MARK nesting': /MARKs nested more than 1000 deep/,
  'list nesting': /more than 100000 values on the stack at once/,
  'stand-in amplifier': /more than the 64 MiB memory budget \(most of it for \d+ stand-in results\)/,
  'deep JSON header': /safetensors header: JSON nested more than 8 levels deep/,
  'wide JSON header': /safetensors header: .*64 MiB memory budget \(most of it for \d+ objects\)/,
  'many-tensor JSON header': /safetensors header: .*64 MiB memory budget/,
  'zip with too many entries': /110000 zip entries are over the limit of 100000/,
};

describe('hostile files are refused within a memory budget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dit-hostile-'));
  const results = new Map<string, ProbeResult>();

  beforeAll(async () => {
    const names = Object.keys(HOSTILE);
    const files = names.map((name, i) => {
      const file = join(dir, `${i}.bin`);
      writeFileSync(file, HOSTILE[name]());
      return file;
    });
    (await probeFiles(files)).forEach((r, i) => results.set(names[i], r));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(HOSTILE))('%s', (name) => {
    const r = results.get(name)!;
    expect(r.outcome, JSON.stringify(r)).toBe('WeightsError');
    expect(r.message).toMatch(EXPECTED[name]);
    expect(r.ms, 'refused quickly').toBeLessThan(5000);
    expect(r.peakGrowthBytes, `peak memory rose ${(r.peakGrowthBytes / MiB).toFixed(0)} MiB`).toBeLessThan(PEAK_BOUND);
  });

  it('covers every hostile file', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(HOSTILE).sort());
  });
});

describe('the budgets leave room for real checkpoints', () => {
  it('charges real torch.save pickles 20-30 bytes per byte, far inside the budget', async () => {
    for (const name of ['bare.pt', 'train.pt', 'dtypes.pt']) {
      const pkl = (await unzipStored(fixture(name))).find((e) => e.name.endsWith('/data.pkl'))!.data;
      // Read within 32 bytes of budget per byte of pickle, refused at 15.
      expect(() => readTorchPickle(pkl, name, 32 * pkl.byteLength)).not.toThrow();
      expect(() => readTorchPickle(pkl, name, 15 * pkl.byteLength)).toThrow(/memory budget/);
    }
    // So a pickle as big as the size cap fits the default budget.
    expect(32 * MAX_PICKLE_BYTES).toBeLessThanOrEqual(PICKLE_MEMORY_BUDGET);
  });

  it('lets a stand-in run once on a big argument (OrderedDict of 50 000 pairs)', () => {
    const pairs = (n: number) => {
      const out = [0x80, 2, ...new TextEncoder().encode('ccollections\nOrderedDict\n'), 0x5d, 0x28];
      for (let i = 0; i < n; i++) out.push(0x4a, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0, 0x4e, 0x86);
      out.push(0x65, 0x85, 0x52, 0x2e); // APPENDS, TUPLE1, REDUCE, STOP
      return Uint8Array.from(out);
    };
    const m = unpickle(pairs(50_000), { globals: TORCH_GLOBALS });
    expect((m as Map<unknown, unknown>).size).toBe(50_000);
  });
});
