/** Random DiT weights and inputs (defined with the benchmarks'), and an inputs file of them for `dit forward`. */
import type { DitConfig } from '../../src/model/config.ts';
import { randomDitInputs } from '../../src/engine/bench/random-dit.ts';
import { writeSafetensors } from '../../src/weights/safetensors.ts';

export { ditCheckpointShapes, randomDitInputs, randomDitWeights } from '../../src/engine/bench/random-dit.ts';

export function inputsFile(c: DitConfig, N: number, seed: number): Uint8Array {
  const { x, t, y } = randomDitInputs(c, N, seed);
  return writeSafetensors({
    x: { dtype: 'F32', shape: [N, c.in_channels, c.input_size, c.input_size], data: x },
    t: { dtype: 'F32', shape: [N], data: t },
    y: { dtype: 'I64', shape: [N], data: BigInt64Array.from(y, (v) => BigInt(v)) },
  });
}
