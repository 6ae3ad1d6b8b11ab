import { useEffect, useState } from 'react';
import type { BenchEntry, BenchReport } from '../../engine/bench/report';
import { reportJson } from '../../engine/bench/report';
import { errorMessage, hasWebGpu } from '../engine-client';
import { formatBytes } from '../format';
import { runQuickBenchmark } from './bench-client';

type State = { phase: 'idle' } | { phase: 'running'; entry: string } | { phase: 'done'; report: BenchReport } | { phase: 'failed'; message: string };

const ms = (v: unknown) => (typeof v === 'number' ? v.toLocaleString('en', { maximumFractionDigits: 3 }) : '–');

/** The GPU calls, the rates and the rest of an entry's fields, in a few words. */
function notes(e: BenchEntry): string {
  const out: string[] = [];
  if (typeof e.gflops === 'number') out.push(`${e.gflops} GFLOP/s CPU to CPU`);
  if (e.ours_gpu_ms !== undefined) out.push(`replayed ${ms(e.ours_gpu_ms)} ms`);
  if (e.dispatches !== undefined) out.push(`${e.dispatches} dispatches, ${e.submits} submits`);
  if (e.dispatches_per_step !== undefined) out.push(`${e.dispatches_per_step} dispatches, ${e.submits_per_step} submit per step`);
  return out.join('; ');
}

function Results({ report }: { report: BenchReport }) {
  const a = report.adapter;
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => {
    const url = URL.createObjectURL(new Blob([reportJson(report)], { type: 'application/json' }));
    setHref(url);
    return () => URL.revokeObjectURL(url);
  }, [report]);
  return (
    <>
      <section className="panel" aria-labelledby="bench-adapter-title" data-testid="bench-adapter">
        <h2 id="bench-adapter-title">Adapter</h2>
        <dl className="bench-facts">
          <dt>Vendor / architecture</dt>
          <dd>{[a.vendor, a.architecture].filter(Boolean).join(' / ') || '–'}</dd>
          <dt>Description</dt>
          <dd>{a.description || '–'}</dd>
          <dt>Features</dt>
          <dd>{a.features.join(', ') || 'none'}</dd>
          <dt>Limits</dt>
          <dd>
            maxStorageBufferBindingSize {formatBytes(a.limits.maxStorageBufferBindingSize)}, maxBufferSize {formatBytes(a.limits.maxBufferSize)}
          </dd>
        </dl>
      </section>
      <section className="panel" aria-labelledby="bench-results-title">
        <h2 id="bench-results-title">Results</h2>
        <p className="hint">
          Medians of {report.runs} timed runs after {report.warmup} warm-up, {new Date(report.date).toLocaleString()}. The
          onnxruntime-web columns stay empty here: the peer runs with <code>npm run bench</code> only.
        </p>
        <div className="bench-table-wrap">
          <table className="bench-table" data-testid="bench-table">
            <thead>
              <tr>
                <th>entry</th>
                <th>ours ms</th>
                <th>ORT WebGPU ms</th>
                <th>ORT wasm ms</th>
                <th>GPU-only ms</th>
                <th>GPU-only GFLOP/s</th>
                <th>notes</th>
              </tr>
            </thead>
            <tbody>
              {report.entries.map((e) => (
                <tr key={e.name} data-entry={e.name}>
                  <td>
                    <code>{e.name}</code>
                  </td>
                  <td>{ms(e.ours_ms)}</td>
                  <td>{ms(e.ort_webgpu_ms)}</td>
                  <td>{ms(e.ort_wasm_ms)}</td>
                  <td>{ms(e.gpu_ms)}</td>
                  <td>{ms(e.gpu_gflops)}</td>
                  <td>{notes(e)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h3>Kernel choices</h3>
        <pre className="bench-choices" data-testid="bench-choices">
          {JSON.stringify(report.kernel_choices, null, 1)}
        </pre>
        {href && (
          <a className="button secondary" data-testid="bench-json" href={href} download="dit-bench-quick.json">
            Download the JSON
          </a>
        )}
      </section>
    </>
  );
}

/** The app's benchmark page: the quick entries of `npm run bench` on this browser's adapter. */
export function BenchPage() {
  const [state, setState] = useState<State>({ phase: 'idle' });
  const webgpu = hasWebGpu();

  async function run() {
    setState({ phase: 'running', entry: 'starting the GPU' });
    try {
      const report = await runQuickBenchmark((entry) => setState({ phase: 'running', entry }));
      setState({ phase: 'done', report });
    } catch (e) {
      setState({ phase: 'failed', message: errorMessage(e) });
    }
  }

  const status =
    state.phase === 'running'
      ? `Running: ${state.entry}…`
      : state.phase === 'done'
        ? 'Done.'
        : state.phase === 'failed'
          ? `Failed: ${state.message}`
          : webgpu
            ? 'Ready.'
            : 'This browser does not expose WebGPU (navigator.gpu is missing).';

  return (
    <div className="app">
      <header className="app-header">
        <div className="brand">
          <div>
            <h1>DiT Studio · Benchmark</h1>
            <p className="tagline">
              The quick entries of <code>npm run bench</code> on this browser&apos;s GPU. <a href="./">Back to the studio</a>
            </p>
          </div>
        </div>
      </header>
      <main id="main" className="bench-page">
        <section className="panel">
          <p>
            A tiny DiT&apos;s forward at batch 2 (a guided pair) and its sampling step with guidance, and DiT-S/2&apos;s LayerNorm +
            modulation: the engine&apos;s own kernels, chosen for this adapter by the autotune. About half a minute on a CPU adapter,
            less on a GPU. “GPU-only” is the GPU&apos;s own time from timestamp queries, where the adapter offers them.
          </p>
          <div className="button-row">
            <button type="button" className="primary" data-testid="bench-run" disabled={!webgpu || state.phase === 'running'} onClick={() => void run()}>
              Run the benchmark
            </button>
          </div>
          <p className="status-line" role="status" aria-live="polite" data-testid="bench-status">
            {status}
          </p>
        </section>
        {state.phase === 'done' && <Results report={state.report} />}
      </main>
    </div>
  );
}
