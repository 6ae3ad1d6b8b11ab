/**
 * The engine worker of the tests and the benchmarks: the Engine, as the command line has it, plus
 * the kernel lab and the benchmark timing loops. Node reaches them as `host.api.engine|lab|bench`.
 */
import { expose } from 'comlink';
import { Engine } from '../../src/engine/engine.ts';
import { Bench, Lab } from './bench-api.ts';
import { FirstStep } from './first-step-api.ts';

export interface TestApi {
  engine: Engine;
  lab: Lab;
  bench: Bench;
  firstStep: FirstStep;
}

const engine = new Engine(new URL('/builtin/', self.location.origin).href);
expose({ engine, lab: new Lab(engine), bench: new Bench(engine), firstStep: new FirstStep(engine) } satisfies TestApi);
