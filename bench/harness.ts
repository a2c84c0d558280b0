/**
 * Exposes the engine worker to benchmark scripts (Playwright) without the UI:
 * the same worker pipeline the app uses, driven from page.evaluate.
 */
import * as Comlink from 'comlink';
import { getBenchEngine } from '../src/engine/engine';
import { DEFAULT_BACKBONE_ID, DEFAULT_TRAIN_SETTINGS } from '../src/engine/api';
import { modelPixels } from '../src/engine/images';
// `npm run bench` workloads (window.benchmarks); tfjs for its baselines loads only when one runs.
import './page/benchmarks';

declare global {
  interface Window {
    transferStudio: {
      engine: ReturnType<typeof getBenchEngine>;
      proxy: typeof Comlink.proxy;
      /** For bench:accuracy --export: the app's own crop and resize, and LiteRT.js and fflate (loaded on first use). */
      modelPixels: typeof modelPixels;
      litert: () => Promise<typeof import('@litertjs/core')>;
      fflate: () => Promise<typeof import('fflate')>;
    };
  }
}

/** Images go into a project, as in the app: the engine stores them with its document. */
async function openBenchProject(): Promise<void> {
  const engine = getBenchEngine();
  const now = Date.now();
  const id = `bench-${now}`;
  await engine.createProject({
    id,
    name: 'Benchmark',
    classes: [],
    backboneId: DEFAULT_BACKBONE_ID,
    settings: DEFAULT_TRAIN_SETTINGS,
    revision: 0,
    training: null,
    createdAt: now,
    updatedAt: now,
  });
  await engine.openProject(id);
}

window.transferStudio = { engine: getBenchEngine(), proxy: Comlink.proxy, modelPixels, litert: () => import('@litertjs/core'), fflate: () => import('fflate') };
void openBenchProject().then(() => (document.body.dataset.ready = 'true'));
