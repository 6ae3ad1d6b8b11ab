import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { createStudio } from './app/controller';
import { createWorkerEngine, type EngineFactory } from './app/engine-client';
import { registerServiceWorker } from './app/offline/register';
import { urlModelFromSearch } from './app/store';
import './app/styles.css';

/**
 * `?engine=fake` runs the UI on a fake engine (no GPU, no weights): demos and end-to-end tests.
 * `?hub=URL&repo=ORG/NAME&revision=REV` selects that Hub model; Generate downloads it.
 */
async function engineFactory(params: URLSearchParams): Promise<EngineFactory> {
  if (params.get('engine') !== 'fake') return createWorkerEngine;
  const { createFakeEngine, fakeOptionsFromUrl } = await import('./app/fake-engine');
  const options = fakeOptionsFromUrl(params);
  let first = true;
  return () => {
    const engine = createFakeEngine(options);
    if (first && options.fail === 'generate') engine.failNextGenerate();
    if (first && options.fail === 'load') engine.failNextLoad();
    first = false;
    return engine;
  };
}

async function main() {
  const params = new URLSearchParams(location.search);
  const studio = createStudio({ createEngine: await engineFactory(params), urlModel: urlModelFromSearch(location.search) });
  if (params.get('engine') === 'fake') (window as unknown as { ditStudio: unknown }).ditStudio = studio;
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App studio={studio} />
    </StrictMode>,
  );
}

void main();
registerServiceWorker();
