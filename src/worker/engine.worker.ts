/** The app's engine worker: the AppEngine behind comlink. */
import { expose } from 'comlink';
import { AppEngine } from './app-engine.ts';

expose(new AppEngine(new URL(`${import.meta.env.BASE_URL}models/builtin/`, self.location.origin).href));
