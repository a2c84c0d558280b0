/**
 * Main-thread side of the engine: starts the worker lazily and hands out its
 * typed comlink proxy. The page never imports tfjs; it all lives in the worker chunk.
 */
import * as Comlink from 'comlink';
import type { BenchEngineApi, EngineApi } from './api';

let engine: Comlink.Remote<BenchEngineApi> | null = null;

function worker(): Comlink.Remote<BenchEngineApi> {
  if (!engine) {
    const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'transfer-studio-engine' });
    engine = Comlink.wrap<BenchEngineApi>(worker);
  }
  return engine;
}

export function getEngine(): Comlink.Remote<EngineApi> {
  return worker();
}

/** The same worker with the benchmark harness's extra methods (embedSamples, predictBatch, memory); not for the app. */
export function getBenchEngine(): Comlink.Remote<BenchEngineApi> {
  return worker();
}

/** Wraps a callback so the worker can call it across the thread boundary. */
export const remoteCallback = Comlink.proxy;
