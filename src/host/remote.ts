/**
 * The typed bridge from Node to the engine page: `host.api.engine.loadDit(url, config)` is checked
 * against the worker's own types (HeadlessApi, or the tests' TestApi) and travels as a call by path.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethod = (...args: any[]) => unknown;

/** An object's methods as seen from Node: same parameters, results as promises. */
export type RemoteObject<T> = {
  [K in keyof T as T[K] extends AnyMethod ? K : never]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** The objects a worker exposes (`{ engine, lab, … }`), each as a RemoteObject. */
export type RemoteApi<T> = { [K in keyof T]: RemoteObject<T[K]> };

/** A proxy whose `a.b(...args)` calls `invoke(['a', 'b'], args)`. */
export function remoteApi<T>(invoke: (path: string[], args: unknown[]) => Promise<unknown>): RemoteApi<T> {
  return new Proxy({}, {
    get: (_, object) => new Proxy({}, {
      get: (__, method) => (...args: unknown[]) => invoke([String(object), String(method)], args),
    }),
  }) as RemoteApi<T>;
}
