/** Runs the framework-free store checks (store-checks.ts) as Vitest tests. */
import { describe, it } from 'vitest';
import type { WeightsStore } from '../../src/weights/cache.ts';
import { storeChecks } from './store-checks.ts';

export function describeStoreConformance(name: string, make: () => Promise<WeightsStore>) {
  describe(`${name}: WeightsStore behaviour`, () => {
    for (const [what, run] of Object.entries(storeChecks)) it(what, () => run(make));
  });
}
