import { useEffect } from 'react';
import { StudioContext, useController, useStudio } from './context';
import type { Studio } from './controller';
import { BlendControls } from './components/BlendControls';
import { ClassPicker } from './components/ClassPicker';
import { DenoisingView } from './components/DenoisingView';
import { ErrorBanner } from './components/ErrorBanner';
import { Gallery } from './components/Gallery';
import { GuidanceSlider } from './components/GuidanceSlider';
import { ModelPanel } from './components/ModelPanel';
import { NoWebGpu } from './components/NoWebGpu';
import { RunControls } from './components/RunControls';
import { SamplingControls } from './components/SamplingControls';
import { settingsFromLink } from './state/link';

export function App({ studio }: { studio: Studio }) {
  useEffect(() => {
    // A shared picture link in the address restores its settings before the engine starts (it may pick the model).
    const link = settingsFromLink(window.location.search);
    if (link) studio.store.getState().applyLink(link);
    void studio.controller.start();
  }, [studio]);
  return (
    <StudioContext.Provider value={studio}>
      <Page />
    </StudioContext.Provider>
  );
}

function EngineBadge() {
  const engine = useStudio((s) => s.engine);
  let text: string;
  let tone: string;
  if (engine.status === 'starting') {
    text = 'Starting GPU…';
    tone = 'pending';
  } else if (engine.status === 'unavailable') {
    text = 'No WebGPU';
    tone = 'bad';
  } else if (engine.adapter?.vendor === 'fake') {
    text = 'Demo engine (no GPU)';
    tone = 'demo';
  } else {
    const a = engine.adapter;
    const name = [a?.vendor, a?.architecture].filter(Boolean).join(' ') || a?.description || 'GPU';
    text = `WebGPU · ${name}`;
    tone = 'ok';
  }
  return (
    <span className={`engine-badge ${tone}`} title={engine.adapter?.description || text}>
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function Page() {
  const controller = useController();
  const engineStatus = useStudio((s) => s.engine.status);

  // The tab title follows the run, handy when the tab is in the background.
  const status = useStudio((s) => s.run.status);
  const step = useStudio((s) => s.run.step);
  const total = useStudio((s) => s.run.total);
  useEffect(() => {
    document.title =
      status === 'running' && step > 0
        ? `${step} / ${total} · DiT Studio`
        : status === 'loading'
          ? 'Loading model… · DiT Studio'
          : status === 'error'
            ? 'Error · DiT Studio'
            : 'DiT Studio — Diffusion Transformer in your browser';
  }, [status, step, total]);

  // Ctrl/Cmd+Enter generates from anywhere on the page.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && engineStatus !== 'unavailable') {
        e.preventDefault();
        void controller.generate();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [controller, engineStatus]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to the studio
      </a>
      <header className="app-header">
        <div className="brand">
          <Logo />
          <div>
            <h1>DiT Studio</h1>
            <p className="tagline">ImageNet images from a Diffusion Transformer, made on your GPU, in this page.</p>
          </div>
        </div>
        <EngineBadge />
      </header>

      <main id="main" className="layout">
        {engineStatus === 'unavailable' ? (
          <div className="unavailable">
            <NoWebGpu />
            <Gallery />
          </div>
        ) : (
          <>
            <div className="col-left">
              <section className="panel controls" aria-label="Image settings">
                <ClassPicker />
                <GuidanceSlider />
                <BlendControls />
                <SamplingControls />
                <RunControls />
                <ErrorBanner />
              </section>
              <ModelPanel />
            </div>
            <div className="col-right">
              <DenoisingView />
              <Gallery />
            </div>
          </>
        )}
      </main>

      <footer className="app-footer">
        <p>
          Model: <a href="https://www.wpeebles.com/DiT" target="_blank" rel="noreferrer">DiT</a> (Peebles &amp; Xie,
          “Scalable Diffusion Models with Transformers”, 2023). DiT-XL/2 weights: CC-BY-NC 4.0. Everything runs locally;
          settings and gallery stay in this browser.
        </p>
        <p>
          <a href="bench.html" data-testid="bench-link">Benchmark this GPU</a>: the engine&apos;s quick benchmark on your adapter.
        </p>
      </footer>
    </div>
  );
}

function Logo() {
  return (
    <svg className="logo" viewBox="0 0 40 40" width="40" height="40" aria-hidden="true" focusable="false">
      <defs>
        <linearGradient id="logo-g" x1="0" y1="0" x2="1" y2="1">
          <stop offset="0" stopColor="var(--accent)" />
          <stop offset="1" stopColor="var(--accent-2)" />
        </linearGradient>
      </defs>
      <rect x="2" y="2" width="36" height="36" rx="10" fill="url(#logo-g)" />
      {[0, 1, 2, 3].map((r) =>
        [0, 1, 2, 3].map((c) => (
          <rect
            key={`${r}-${c}`}
            x={9 + c * 6}
            y={9 + r * 6}
            width="4.5"
            height="4.5"
            rx="1"
            fill="#fff"
            opacity={0.25 + ((r * 4 + c) % 5) * 0.17}
          />
        )),
      )}
    </svg>
  );
}
