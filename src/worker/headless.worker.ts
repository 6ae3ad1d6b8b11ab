/**
 * The engine worker of the headless host (`dit` command line): the same Engine as the app's
 * worker, its built-in model served by the host under /builtin/.
 */
import { expose } from 'comlink';
import { Engine } from '../engine/engine.ts';

/** What the headless worker exposes; Node reaches it as `host.api` (a typed proxy, see src/host/remote.ts). */
export interface HeadlessApi {
  engine: Engine;
}

expose({ engine: new Engine(new URL('/builtin/', self.location.origin).href) } satisfies HeadlessApi);
