/**
 * The engine worker as the headless host (command line, tests, benchmarks) uses it: the same
 * engine as the app's worker, plus kernel-level entry points for tests and benchmarks.
 */
import { expose } from 'comlink';
import { HeadlessEngine } from '../worker/headless-engine.ts';

expose(new HeadlessEngine());
