/**
 * Backend and backbones: starts the fastest TF.js backend (measured once per
 * browser and GPU), loads catalog or custom backbones and keeps the one in use.
 * Catalog backbones of the 'mobilenet-package' format load through
 * @tensorflow-models/mobilenet (ml/packageBackbone.ts, via ml/backbone.ts's
 * loadBackbone); `sources()` says where each catalog entry can load from now.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKBONES, DEFAULT_BACKBONE_ID, getBackbone, localModelUrl, type BackboneSpec } from '../ml/backbones';
import { cachedModelJson, fetchModelJson, resolveBackboneSources, type BackboneSource } from '../ml/backboneSources';
import { loadBackbone, wrapBackbone, type LoadedBackbone } from '../ml/backbone';
import { customSpec, describeGraphModel, describeLayersModel, type CustomChoice, type CustomModelInfo } from '../ml/customBackbone';
import type { CustomBackboneSource, EngineOptions, EngineStatus, Progress } from './api';
import { activate, backendDetail, deviceKey, measureBackends, useForcedBackend } from './backend';
import { loadCustomModel } from './customModels';
import { restoreCustomBackbone, saveCustomBackbone } from './customBackboneStore';
import { isCustomBackboneId } from '../ml/customSpecId';

export class Backbones {
  private options: EngineOptions | null = null;
  private starting: Promise<EngineStatus> | null = null;
  private status: EngineStatus | null = null;
  private loaded: LoadedBackbone | null = null;
  /** Custom models the user loaded, by the engine's id; kept so switching back to them is free. */
  private readonly customModels = new Map<
    string,
    { model: tf.LayersModel | tf.GraphModel; info: CustomModelInfo; title: string; source: string; origin: CustomBackboneSource }
  >();
  /** Spec id → spec, for each feature-layer choice made on a custom model. */
  private readonly customSpecs = new Map<string, { spec: BackboneSpec; modelId: string }>();

  /** Resolved by the first start(): the page starts the engine only once it has shown the last project. */
  private startRequested!: () => void;
  private readonly requested = new Promise<void>((resolve) => (this.startRequested = resolve));

  start(options: EngineOptions): Promise<EngineStatus> {
    this.startRequested();
    this.options ??= options;
    this.starting ??= this.activateBackend(options).catch((error) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  get started(): boolean {
    return this.status !== null;
  }

  /**
   * Resolves once start() has a backend running. Everything that makes tensors waits
   * for it: the page may ask for a prediction (restoring the saved model) before or
   * while the backend initialises, and tfjs throws if a tensor is made before that.
   */
  async backendStarted(): Promise<void> {
    // A large project is on screen (and a test image can be chosen) before the page
    // has started the engine: such calls wait for the start instead of failing.
    await this.requested;
    if (!this.starting) throw new Error('The engine could not start; reload the page to try again');
    await this.starting;
  }

  private async activateBackend(options: EngineOptions): Promise<EngineStatus> {
    if (this.status) return this.status;
    if (options.backend) {
      this.status = await useForcedBackend(options.backend);
      return this.status;
    }
    const key = await deviceKey();
    const remembered = options.rememberedMeasurements?.find((m) => m.key === key);
    if (remembered && (await activate(remembered.chosen)) === null) {
      this.status = { backend: remembered.chosen, notes: [], detail: backendDetail(remembered.chosen), measurement: remembered, remembered: true };
      return this.status;
    }
    this.status = await this.measureAndActivate(key);
    return this.status;
  }

  /** Times every backend again and switches to the fastest; call between operations. */
  async remeasure(): Promise<EngineStatus> {
    if (!this.options) throw new Error('The engine has not been started');
    // Models live on a backend; drop the backbone (reloaded on next use). The head's
    // variables move to the new backend by themselves when first read there.
    this.loaded?.dispose();
    this.loaded = null;
    this.status = await this.measureAndActivate(await deviceKey());
    return this.status;
  }

  private async measureAndActivate(key: string): Promise<EngineStatus> {
    // A custom backbone may not load (or not be stored any more): the measurement uses the default then.
    const wanted = this.options?.backboneId;
    const spec = getBackbone(wanted && !isCustomBackboneId(wanted) ? wanted : DEFAULT_BACKBONE_ID);
    const measurement = await measureBackends(key, () => loadBackbone(spec, { localUrl: this.localUrlOf(spec) }));
    const reason = await activate(measurement.chosen);
    if (reason) throw new Error(`The fastest backend (${measurement.chosen}) failed to start again: ${reason}`);
    return { backend: measurement.chosen, notes: [], detail: backendDetail(measurement.chosen), measurement };
  }

  private localUrlOf(spec: BackboneSpec): string {
    return new URL(localModelUrl(spec, this.options?.appBase ?? '/'), self.location.origin).href;
  }

  /** The spec of a catalog or custom backbone id. */
  spec(id: string): BackboneSpec {
    return this.customSpecs.get(id)?.spec ?? getBackbone(id);
  }

  /**
   * Where each catalog backbone loads from now: the same-origin copy `npm run models`
   * made, else its public URL, else nowhere (with the reason). Offline the network is
   * not asked at all: what the service worker cached is what can load. Offline is when
   * either the page or this worker says so: a worker's navigator.onLine can stay true
   * while the page's is false (Chromium 150 under DevTools' offline emulation), and
   * then every uncached model.json went to the network.
   */
  sources(pageOnline = true): Promise<BackboneSource[]> {
    const online = pageOnline && self.navigator.onLine;
    const probe = online || typeof caches === 'undefined' ? fetchModelJson() : cachedModelJson(caches);
    return resolveBackboneSources(BACKBONES, self.location.origin, this.options?.appBase ?? '/', probe);
  }

  /**
   * Loads a catalog backbone beside the one in use, without replacing it (the model
   * that names ImageNet classes for backbones without an ImageNet top). The caller owns it.
   */
  async loadSide(id: string): Promise<LoadedBackbone> {
    await this.backendStarted();
    const spec = getBackbone(id);
    return loadBackbone(spec, { localUrl: this.localUrlOf(spec) });
  }

  /** Loads (or returns the loaded) backbone; only one is kept in memory at a time. */
  async load(id: string, onProgress?: (progress: Progress) => void): Promise<LoadedBackbone> {
    if (this.loaded?.spec.id === id) return this.loaded;
    await this.backendStarted();
    // A reopened project's custom backbone is loaded again from its stored source on first use.
    const custom = this.customSpecs.get(id) ?? (isCustomBackboneId(id) ? await this.restoreCustom(id) : undefined);
    if (custom) {
      const stored = this.customModels.get(custom.modelId)!;
      this.loaded?.dispose();
      // The stored model outlives this wrapper: switching away must not dispose it.
      this.loaded = { ...wrapBackbone(custom.spec, stored.model, stored.source), dispose: () => {} };
      return this.loaded;
    }
    const spec = getBackbone(id);
    this.loaded?.dispose();
    this.loaded = null;
    const report = (fraction: number) => onProgress?.({ phase: 'loading-backbone', done: Math.round(fraction * 100), total: 100 });
    report(0);
    const loaded = await loadBackbone(spec, { localUrl: this.localUrlOf(spec), onProgress: report });
    // The first run compiles shaders (seconds on WebGPU); do it now, not in the first batch.
    tf.tidy(() => loaded.embed(tf.zeros([1, spec.inputSize, spec.inputSize, 3]))).dispose();
    report(1);
    this.loaded = loaded;
    return loaded;
  }

  async inspectCustom(source: CustomBackboneSource): Promise<{ modelId: string; title: string; info: CustomModelInfo }> {
    const { model, title, where } = await loadCustomModel(source);
    try {
      const info = model instanceof tf.GraphModel ? describeGraphModel(model) : describeLayersModel(model);
      const modelId = crypto.randomUUID().slice(0, 8);
      this.customModels.set(modelId, { model, info, title, source: where, origin: source });
      return { modelId, title, info };
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  async useCustom(choice: CustomChoice): Promise<BackboneSpec> {
    const stored = this.customModels.get(choice.modelId);
    if (!stored) throw new Error('That custom model is no longer loaded; load it again.');
    const spec = customSpec({ ...choice, title: stored.title }, stored.info);
    this.customSpecs.set(spec.id, { spec, modelId: choice.modelId });
    const loaded = await this.load(spec.id);
    // Run once now: a bad feature choice fails here, not in the middle of training.
    tf.tidy(() => loaded.embed(tf.zeros([1, spec.inputSize, spec.inputSize, 3]))).dispose();
    // Kept for the next visit; without it the project's backbone cannot be loaded after a reload (said then).
    await saveCustomBackbone(choice.modelId, stored.title, stored.origin).catch((error) => console.warn('Custom backbone not saved:', error));
    return spec;
  }

  /** Loads a stored project's custom backbone from its saved source; throws saying why it cannot. */
  private async restoreCustom(id: string): Promise<{ spec: BackboneSpec; modelId: string }> {
    const restored = await restoreCustomBackbone(id);
    const { modelId, model, info, title, where, source, spec } = restored;
    this.customModels.get(modelId)?.model.dispose();
    this.customModels.set(modelId, { model, info, title, source: where, origin: source });
    this.customSpecs.set(spec.id, { spec, modelId });
    return { spec, modelId };
  }
}
