/**
 * Backbones loaded through `@tensorflow-models/mobilenet`: the package loads the
 * TF-Hub classification graph (from a same-origin copy via `modelUrl`, else from its
 * own URLs), embeds with `infer(x, true)` and names ImageNet classes with `classify`.
 */
import * as tf from '@tensorflow/tfjs';
import * as mobilenet from '@tensorflow-models/mobilenet';
import type { BackboneSpec } from './backbones';
import type { LoadedBackbone } from './backbone';

/** The package's model, with the graph it keeps internally (it has no dispose of its own). */
type PackageModel = mobilenet.MobileNet & { model?: tf.GraphModel };

export type PackageLoader = (config: mobilenet.ModelConfig) => Promise<mobilenet.MobileNet>;

/**
 * Loads a package model from the same-origin copy (`modelUrl`), else from the package's
 * own URLs (`{version, alpha}` only). If both fail, the error names both places.
 */
export async function loadPackageBackbone(
  spec: BackboneSpec,
  options: { localUrl: string; onProgress?: (fraction: number) => void; load?: PackageLoader },
): Promise<LoadedBackbone> {
  const config = spec.mobilenetPackage;
  if (!config) throw new Error(`${spec.title} is not a @tensorflow-models/mobilenet model`);
  const load = options.load ?? mobilenet.load;
  const attempts: { where: string; config: mobilenet.ModelConfig }[] = [
    // With a modelUrl the package defaults to inputs in [-1, 1]; the TF-Hub classification graphs want [0, 1].
    { where: options.localUrl, config: { ...config, modelUrl: tf.io.http(options.localUrl, { onProgress: options.onProgress }), inputRange: [0, 1] } },
    { where: `the package's own URL (${spec.publicUrl.replace(/\/model\.json$/, '')})`, config: { ...config } },
  ];
  const failures: string[] = [];
  for (const attempt of attempts) {
    try {
      return wrapPackageModel(spec, (await load(attempt.config)) as PackageModel, attempt.where);
    } catch (error) {
      failures.push(`${attempt.where}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`Could not load backbone "${spec.id}" through @tensorflow-models/mobilenet from either place. Tried ${failures.join(' — and ')}`);
}

/** A loaded package model as a backbone: embeddings of 0..255 pixels [N, 224, 224, 3] via infer(x, true). */
export function wrapPackageModel(spec: BackboneSpec, net: PackageModel, source: string): LoadedBackbone {
  const graph = net.model;
  return {
    spec,
    source,
    featureModel: null,
    parameterCount: graph ? Object.values(graph.weights).flat().reduce((n, w) => n + w.size, 0) : undefined,
    embed: (images) => tf.tidy(() => net.infer(images, true).reshape([images.shape[0], -1]) as tf.Tensor2D),
    imagenet: {
      // The package's classify takes one image at a time.
      async topK(images, k) {
        const rows: { label: string; probability: number }[][] = [];
        for (let n = 0; n < images.shape[0]; n++) {
          const image = tf.tidy(() => images.slice([n, 0, 0, 0], [1, -1, -1, -1]).squeeze([0]) as tf.Tensor3D);
          try {
            rows.push((await net.classify(image, k)).map((c) => ({ label: c.className, probability: c.probability })));
          } finally {
            image.dispose();
          }
        }
        return rows;
      },
    },
    dispose: () => graph?.dispose(),
  };
}
