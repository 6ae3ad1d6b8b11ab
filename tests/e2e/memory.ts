/**
 * Memory figures of the app in headless Chromium, for the soak test: the JS heap of the page and
 * of its engine worker after a full garbage collection (DevTools protocol: HeapProfiler.collectGarbage,
 * Runtime.getHeapUsage; the worker is reached by auto-attaching to the page's workers), and the
 * GPU bytes the engine's allocator holds (the worker's test hook, src/worker/engine.worker.ts).
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';

export interface MemorySample {
  /** Live JS heap of the page, bytes, after a GC. */
  pageHeap: number;
  /** Live JS heap of the engine worker, bytes, after a GC. */
  workerHeap: number;
  /** Bytes in the engine's GPU buffers (its Allocator). */
  gpuLive: number;
  gpuPeak: number;
}

interface TargetMessage { id?: number; result?: unknown; error?: { message: string } }

export class MemoryProbe {
  /** The newest worker's DevTools session (a replaced engine brings a new one). */
  private workerSession: string | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly cdp: CDPSession, private readonly page: Page) {}

  static async attach(context: BrowserContext, page: Page): Promise<MemoryProbe> {
    const cdp = await context.newCDPSession(page);
    const probe = new MemoryProbe(cdp, page);
    cdp.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker') probe.workerSession = e.sessionId;
    });
    cdp.on('Target.detachedFromTarget', (e) => {
      if (e.sessionId === probe.workerSession) probe.workerSession = null;
    });
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const m = JSON.parse(e.message) as TargetMessage;
      const p = m.id === undefined ? undefined : probe.pending.get(m.id);
      if (!p) return;
      probe.pending.delete(m.id!);
      if (m.error) p.reject(new Error(m.error.message));
      else p.resolve(m.result);
    });
    // Not flattened: Playwright's CDPSession has no way to address a child session directly.
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return probe;
  }

  private inWorker<T>(method: string): Promise<T> {
    const sessionId = this.workerSession;
    if (!sessionId) return Promise.reject(new Error('no engine worker is attached'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) }).catch(reject);
    });
  }

  async sample(): Promise<MemorySample> {
    await this.cdp.send('HeapProfiler.collectGarbage');
    const page = await this.cdp.send('Runtime.getHeapUsage');
    await this.inWorker('HeapProfiler.collectGarbage');
    const worker = await this.inWorker<{ usedSize: number }>('Runtime.getHeapUsage');
    const gpu = await gpuMemory(this.page);
    return { pageHeap: page.usedSize, workerHeap: worker.usedSize, gpuLive: gpu.liveBytes, gpuPeak: gpu.peakBytes };
  }

  async detach(): Promise<void> {
    await this.cdp.detach().catch(() => undefined);
  }
}

/** The engine worker of the page (the one the app uses: the newest). */
export function engineWorker(page: Page) {
  const workers = page.workers();
  if (!workers.length) throw new Error('the page has no engine worker');
  return workers[workers.length - 1];
}

interface TestHooks {
  loseDevice(): Promise<void>;
  memoryStats(): Promise<{ liveBytes: number; peakBytes: number }>;
}

/** The engine's GPU bytes, through the worker's test hook. */
export function gpuMemory(page: Page): Promise<{ liveBytes: number; peakBytes: number }> {
  return engineWorker(page).evaluate(() => (self as unknown as { ditTestHooks: TestHooks }).ditTestHooks.memoryStats());
}

/** Destroys the engine's GPU device (as a driver reset loses it), through the worker's test hook. */
export function loseDevice(page: Page): Promise<void> {
  return engineWorker(page).evaluate(() => (self as unknown as { ditTestHooks: TestHooks }).ditTestHooks.loseDevice());
}
