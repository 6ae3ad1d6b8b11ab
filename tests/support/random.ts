/** Seeded test data, defined with the benchmarks' (the app's benchmark page makes the same inputs). */
export { randint, randn, rng } from '../../src/engine/bench/random.ts';
