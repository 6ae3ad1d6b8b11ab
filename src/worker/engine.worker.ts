/** The app's engine worker: the Engine behind comlink, its built-in model served with the app. */
import { expose } from 'comlink';
import { Engine } from '../engine/engine.ts';

expose(new Engine(new URL(`${import.meta.env.BASE_URL}models/builtin/`, self.location.origin).href));
