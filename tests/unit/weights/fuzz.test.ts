/**
 * Seeded fuzzing of both weights formats, the quick run (`npm run fuzz` runs the same generators
 * for 100 000 cases of each kind): mutated safetensors headers and mutated PyTorch zips and
 * pickles must each load or throw a WeightsError: never another error, never a read outside the
 * file, never a hang.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { attempt, buildCorpus, makeCase, SEEDS, type Corpus, type Kind } from '../../fuzz/cases.ts';
import { prng } from '../../support/sources.ts';

async function run(kind: Kind, corpus: Corpus, cases: number): Promise<Map<string, number>> {
  const r = prng(SEEDS[kind]);
  const codes = new Map<string, number>();
  for (let i = 0; i < cases; i++) {
    const { bytes, what } = makeCase(kind, corpus, r, i);
    const code = await attempt(bytes, what);
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  return codes;
}

describe('fuzz', () => {
  let corpus: Corpus;
  beforeAll(async () => { corpus = await buildCorpus(); });

  it('mutated safetensors headers load or throw a WeightsError', async () => {
    const codes = await run('safetensors', corpus, 3000);
    // The mutations must reach both outcomes and several distinct refusals.
    expect(codes.get('ok')).toBeGreaterThan(0);
    expect(codes.size).toBeGreaterThanOrEqual(3);
  });

  it('mutated PyTorch zips load or throw a WeightsError', async () => {
    const codes = await run('zip', corpus, 1000);
    expect(codes.get('ok')).toBeGreaterThan(0);
    expect(codes.get('bad-archive')).toBeGreaterThan(0);
  });

  it('mutated pickles (and small pickle bombs) in valid zips load or throw a WeightsError', async () => {
    const codes = await run('pickle', corpus, 1000);
    expect(codes.get('ok')).toBeGreaterThan(0);
    expect(codes.get('bad-pickle')).toBeGreaterThan(0);
  });
});
