/**
 * Where each catalog backbone can be loaded from right now: the same-origin copy
 * `npm run models` made, else the model's public URL, else nowhere (with the reason,
 * so the Backbone picker can say why instead of failing after the user picked it).
 */
import { localModelUrl, type BackboneSpec } from './backbones';

export type BackboneSource =
  | { id: string; title: string; available: true; where: 'local' | 'remote'; url: string }
  | { id: string; title: string; available: false; reason: string };

/** Null when `url` serves a usable model.json, else why not (in words). */
export type ModelJsonProbe = (url: string) => Promise<string | null>;

/**
 * Fetches a model.json and checks it is one: a dev server answers unknown paths with
 * its index.html (status 200), so the status alone says nothing.
 */
export function fetchModelJson(timeoutMs = 8000, fetcher: typeof fetch = fetch): ModelJsonProbe {
  return async (url) => {
    try {
      const response = await fetcher(url, { signal: AbortSignal.timeout(timeoutMs), cache: 'no-store' });
      if (!response.ok) return `HTTP ${response.status}`;
      let json: unknown;
      try {
        json = await response.json();
      } catch {
        return 'the answer is not a model.json';
      }
      const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
      return Array.isArray(manifest) ? null : 'the answer is not a model.json (no weightsManifest)';
    } catch (error) {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
      return error instanceof Error ? error.message : String(error);
    }
  };
}

/**
 * Offline, only what a cache holds can load: answers from the Cache API (the service
 * worker's caches) without touching the network.
 */
export function cachedModelJson(storage: Pick<CacheStorage, 'match'>): ModelJsonProbe {
  return async (url) => {
    const response = await storage.match(url).catch(() => undefined);
    if (!response) return 'offline, and not cached by an earlier visit';
    return fetchModelJson(1000, async () => response)(url);
  };
}

/** The model.json URL a spec's public copy is fetched from (TF-Hub needs its query suffix). */
export function publicModelUrl(spec: BackboneSpec): string {
  return spec.publicUrl + (spec.publicUrlQuery ?? '');
}

/** Resolves one backbone: the same-origin copy under `origin + base`, else its public URL. */
export async function resolveBackboneSource(spec: BackboneSpec, origin: string, base: string, probe: ModelJsonProbe): Promise<BackboneSource> {
  const local = new URL(localModelUrl(spec, base), origin).href;
  const localProblem = await probe(local);
  if (localProblem === null) return { id: spec.id, title: spec.title, available: true, where: 'local', url: local };
  const remote = publicModelUrl(spec);
  const remoteProblem = await probe(remote);
  if (remoteProblem === null) return { id: spec.id, title: spec.title, available: true, where: 'remote', url: remote };
  return {
    id: spec.id,
    title: spec.title,
    available: false,
    reason:
      `${spec.title} is unavailable: there is no local copy (${local}: ${localProblem}; \`npm run models\` copies it when MODELS_DIR holds ${spec.sourceDir}) ` +
      `and its public URL cannot be reached (${remote}: ${remoteProblem}).`,
  };
}

/** Resolves every spec at once (the probes run in parallel; unreachable hosts cost one timeout, not one each). */
export function resolveBackboneSources(specs: readonly BackboneSpec[], origin: string, base: string, probe: ModelJsonProbe): Promise<BackboneSource[]> {
  return Promise.all(specs.map((spec) => resolveBackboneSource(spec, origin, base, probe)));
}
