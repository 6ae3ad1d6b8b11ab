/**
 * Opens weights files one after another in this process, as `dit forward --weights FILE` does
 * (openWeights over the file on disk), and prints one JSON line per file: the outcome, the time,
 * and how far the process's peak resident memory (getrusage's maxRSS) stood above its resident
 * memory just before that open. The peak cannot be reset, so a later file's figure is an upper
 * bound (it may be an earlier file's peak). Run it in its own process, with a heap cap, so a
 * reader without bounds dies alone:
 *
 *   node --max-old-space-size=512 --expose-gc --import tsx tests/fuzz/heap-probe.ts FILE...
 */
import { openFileSource } from '../../src/weights/node-file-source.ts';
import { openWeights } from '../../src/weights/open-weights.ts';

export interface ProbeResult {
  file: string;
  outcome: 'ok' | 'WeightsError' | 'other';
  code?: string;
  message?: string;
  tensors?: number;
  ms: number;
  /** Peak resident memory, above the resident memory just before the open, in bytes. */
  peakGrowthBytes: number;
}

async function probe(file: string): Promise<ProbeResult> {
  const source = await openFileSource(file);
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  let r: Pick<ProbeResult, 'outcome' | 'code' | 'message' | 'tensors'>;
  try {
    const w = await openWeights(source);
    r = { outcome: 'ok', tensors: w.tensors.size };
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    r = { outcome: err.name === 'WeightsError' ? 'WeightsError' : 'other', code: err.code, message: err.message };
  }
  const ms = performance.now() - t0;
  const peak = process.resourceUsage().maxRSS * 1024;
  return { file, ...r, ms, peakGrowthBytes: Math.max(0, peak - rssBefore) };
}

for (const file of process.argv.slice(2)) process.stdout.write(`${JSON.stringify(await probe(file))}\n`);
