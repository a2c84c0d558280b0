/**
 * Exposes the engine worker to benchmark scripts (Playwright) without the UI:
 * the same worker pipeline the app uses, driven from page.evaluate.
 */
import * as Comlink from 'comlink';
import { getEngine } from '../src/engine/engine';
import { modelPixels } from '../src/engine/images';
// `npm run bench` workloads (window.benchmarks); tfjs for its baselines loads only when one runs.
import './page/benchmarks';

declare global {
  interface Window {
    transferStudio: {
      engine: ReturnType<typeof getEngine>;
      proxy: typeof Comlink.proxy;
      /** For bench:accuracy --export: the app's own crop and resize, and LiteRT.js and fflate (loaded on first use). */
      modelPixels: typeof modelPixels;
      litert: () => Promise<typeof import('@litertjs/core')>;
      fflate: () => Promise<typeof import('fflate')>;
    };
  }
}

window.transferStudio = { engine: getEngine(), proxy: Comlink.proxy, modelPixels, litert: () => import('@litertjs/core'), fflate: () => import('fflate') };
document.body.dataset.ready = 'true';
