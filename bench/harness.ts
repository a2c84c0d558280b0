/**
 * Exposes the engine worker to benchmark scripts (Playwright) without the UI:
 * the same worker pipeline the app uses, driven from page.evaluate.
 */
import * as Comlink from 'comlink';
import { getEngine } from '../src/engine/engine';
// `npm run bench` workloads (window.benchmarks); tfjs for its baselines loads only when one runs.
import './page/benchmarks';

declare global {
  interface Window {
    transferStudio: { engine: ReturnType<typeof getEngine>; proxy: typeof Comlink.proxy };
  }
}

window.transferStudio = { engine: getEngine(), proxy: Comlink.proxy };
document.body.dataset.ready = 'true';
