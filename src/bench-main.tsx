import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BenchPage } from './app/bench/BenchPage';
import './app/styles.css';
import './app/bench/bench.css';

/** bench.html: the quick benchmark on this browser's adapter (src/app/bench/). */
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BenchPage />
  </StrictMode>,
);
