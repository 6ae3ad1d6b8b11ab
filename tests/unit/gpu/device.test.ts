/** createGpu asks again when WebGPU never answers a request (a fake navigator.gpu in Node). */
import { afterEach, describe, expect, it } from 'vitest';
import { createGpu } from '../../../src/gpu/device.ts';

const never = () => new Promise<never>(() => {});

function fakeAdapter(onDevice: () => Promise<unknown>) {
  return {
    info: { vendor: 'fake', architecture: 'test', description: 'fake adapter', subgroupMinSize: 4 },
    features: new Set<string>(),
    limits: { maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 20 },
    requestDevice: onDevice,
  };
}

const fakeDevice = () => ({ features: new Set<string>(), limits: { maxStorageBufferBindingSize: 1 << 20 }, lost: never() });

function installGpu(requestAdapter: () => Promise<unknown>) {
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter } }, configurable: true, writable: true });
}

describe('createGpu', () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete (globalThis as { navigator?: unknown }).navigator;
  });

  it('asks for the adapter again when a request never answers', async () => {
    let calls = 0;
    installGpu(() => (++calls === 1 ? never() : Promise.resolve(fakeAdapter(async () => fakeDevice()))));
    const gpu = await createGpu({ requestTimeoutMs: 50 });
    expect(calls).toBe(2);
    expect(gpu.adapterInfo.vendor).toBe('fake');
  });

  it('asks a fresh adapter for the device when the first device request never answers', async () => {
    let deviceCalls = 0;
    installGpu(async () => fakeAdapter(() => (++deviceCalls === 1 ? never() : Promise.resolve(fakeDevice()))));
    const gpu = await createGpu({ requestTimeoutMs: 50 });
    expect(deviceCalls).toBe(2);
    expect(gpu.device).toBeTruthy();
  });

  it('gives up with a clear error after three requests without an answer', async () => {
    installGpu(never);
    await expect(createGpu({ requestTimeoutMs: 20 })).rejects.toThrow(/did not answer requestAdapter within 0.02 s, 3 times/);
  });
});
