import { describe, expect, it } from 'vitest';
import type { DispatchTime } from '../../../src/engine/bench/model-timing.ts';
import { kernelShares, kernelSharesTable } from '../../../src/engine/bench/profile.ts';

const d = (label: string, ms: number, work: number): DispatchTime => ({ label, ms, work, workgroups: [1, 1, 1] });

describe('kernelShares', () => {
  it('sums dispatches by kernel, slowest first, with their share and rate', () => {
    const shares = kernelShares([d('matmul.wgsl', 30, 6e9), d('attention.wgsl', 10, 1e9), d('matmul.wgsl', 50, 10e9), d('add.wgsl', 10, 0)]);
    expect(shares.map((s) => s.kernel)).toEqual(['matmul.wgsl', 'attention.wgsl', 'add.wgsl']);
    expect(shares[0]).toEqual({ kernel: 'matmul.wgsl', dispatches: 2, ms: 80, share: 0.8, gflop: 16, gflops: 200 });
    expect(shares[1]).toMatchObject({ dispatches: 1, share: 0.1, gflops: 100 });
    // No FLOP estimate: no rate.
    expect(shares[2].gflops).toBeNull();
    expect(kernelSharesTable(shares).split('\n')).toHaveLength(4);
  });

  it('is empty for no dispatches', () => {
    expect(kernelShares([])).toEqual([]);
  });
});
