/**
 * Main-thread side of the engine: starts the worker lazily and hands out its
 * typed comlink proxy. The page never imports tfjs; it all lives in the worker chunk.
 */
import * as Comlink from 'comlink';
import type { EngineApi } from './api';

let engine: Comlink.Remote<EngineApi> | null = null;

export function getEngine(): Comlink.Remote<EngineApi> {
  if (!engine) {
    const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'transfer-studio-engine' });
    engine = Comlink.wrap<EngineApi>(worker);
  }
  return engine;
}

/** Wraps a callback so the worker can call it across the thread boundary. */
export const remoteCallback = Comlink.proxy;
