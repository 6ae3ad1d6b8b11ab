import { describe, expect, it } from 'vitest';
import { checkNoSurplusBlocks } from '../../../src/model/dit-layout.ts';

describe('weights against the config depth', () => {
  const names = (depth: number) => Array.from({ length: depth }, (_, i) => [`blocks.${i}.attn.qkv.weight`, `blocks.${i}.mlp.fc2.bias`]).flat().concat(['final_layer.linear.weight']);

  it('accepts as many blocks as the depth', () => {
    expect(() => checkNoSurplusBlocks(names(2), 2)).not.toThrow();
  });

  it('names the first surplus tensor when the weights hold more blocks', () => {
    expect(() => checkNoSurplusBlocks(names(2), 1)).toThrow(/more blocks than the config's depth 1: first surplus tensor "blocks\.1\.attn\.qkv\.weight"/);
    expect(() => checkNoSurplusBlocks(names(12), 10)).toThrow(/"blocks\.10\./);
  });
});
