import * as tf from '@tensorflow/tfjs';
import { foldedForward, type FoldedForward } from './foldedBackbone';
import { publicFileUrl, type BackboneSpec } from './backbones';
import { HEAD_LAYER_NAMES } from './head';
import { loadPackageBackbone } from './packageBackbone';
import { IMAGENET_LABELS, softmaxLabeller } from './imagenet';

export interface LoadedBackbone {
  spec: BackboneSpec;
  /** Where the weights came from (same-origin path or public URL). */
  source: string;
  /** Layers backbones: input image → pooled feature vector, as one layers model. Null for graph models. */
  featureModel: tf.LayersModel | null;
  /** Preprocessed images [N, s, s, 3] → embeddings [N, D]. */
  embed(images: tf.Tensor4D): tf.Tensor2D;
  /** The backbone's own ImageNet top, when it has one ("what the backbone sees"). */
  imagenet?: ImagenetLabeller;
  /** Weights in the loaded model (parameters), for comparing backbones by size. */
  parameterCount?: number;
  dispose(): void;
}

/** ImageNet's top-k labels of preprocessed images [N, s, s, 3], one list per image, most likely first. */
export interface ImagenetLabeller {
  topK(images: tf.Tensor4D, k: number): Promise<{ label: string; probability: number }[][]>;
}

export type ModelLoader = (
  url: string,
  format: BackboneSpec['format'],
  options: tf.io.LoadOptions,
) => Promise<tf.LayersModel | tf.GraphModel>;

const defaultLoader: ModelLoader = (url, format, options) =>
  format === 'layers' ? tf.loadLayersModel(url, options) : tf.loadGraphModel(url, options);

export interface LoadBackboneOptions {
  /** Same-origin model.json, tried first. */
  localUrl: string;
  loader?: ModelLoader;
  onProgress?: (fraction: number) => void;
}

/**
 * Loads a backbone from the same-origin copy, else from its public URL, and
 * truncates it at its feature layer. If both fail, the error names both URLs.
 */
export async function loadBackbone(spec: BackboneSpec, options: LoadBackboneOptions): Promise<LoadedBackbone> {
  if (spec.format === 'mobilenet-package') return loadPackageBackbone(spec, options);
  const loader = options.loader ?? defaultLoader;
  const attempts: { url: string; options: tf.io.LoadOptions }[] = [
    { url: options.localUrl, options: { onProgress: options.onProgress } },
    {
      url: spec.publicUrl + (spec.publicUrlQuery ?? ''),
      options: {
        onProgress: options.onProgress,
        weightUrlConverter: async (name: string) => publicFileUrl(spec, name),
      },
    },
  ];
  const failures: string[] = [];
  for (const attempt of attempts) {
    try {
      const model = await loader(attempt.url, spec.format, attempt.options);
      return wrapBackbone(spec, model, attempt.url);
    } catch (error) {
      failures.push(`${attempt.url}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`Could not load backbone "${spec.id}" from either place. Tried ${failures.join(' — and ')}`);
}

export function wrapBackbone(spec: BackboneSpec, model: tf.LayersModel | tf.GraphModel, source: string): LoadedBackbone {
  if (model instanceof tf.GraphModel) {
    return {
      spec,
      source,
      featureModel: null,
      parameterCount: Object.values(model.weights).flat().reduce((n, w) => n + w.size, 0),
      embed: (images) =>
        tf.tidy(() => {
          const out = model.execute(images, spec.featureNode) as tf.Tensor;
          return (spec.pooled ? tf.mean(out, [1, 2]) : out.reshape([images.shape[0], -1])) as tf.Tensor2D;
        }),
      dispose: () => model.dispose(),
    };
  }
  const feature = model.getLayer(spec.featureNode).output as tf.SymbolicTensor;
  const pooled = spec.pooled
    ? (tf.layers.globalAveragePooling2d({ name: HEAD_LAYER_NAMES.pool }).apply(feature) as tf.SymbolicTensor)
    : feature;
  const featureModel = tf.model({ name: `${spec.id}_features`, inputs: model.inputs, outputs: pooled });
  // Embedding runs the folded pass (batch norm inside the convolutions); the feature
  // model stays for fine-tuning and the export. A model folding cannot handle runs as is.
  let folded: FoldedForward | null = null;
  try {
    folded = foldedForward(model, spec.featureNode);
  } catch {
    folded = null;
  }
  const top = model.outputs[0].shape;
  return {
    spec,
    source,
    featureModel,
    parameterCount: model.countParams(),
    // A model that ends in ImageNet's 1000 classes (the tfjs-models V1 layers models) labels images itself.
    imagenet: spec.imagenetTop && top.length === 2 && top[1] === IMAGENET_LABELS.length ? softmaxLabeller((x) => model.predict(x) as tf.Tensor2D) : undefined,
    embed: (images) =>
      folded
        ? tf.tidy(() => {
            const out = folded!.run(images);
            return (spec.pooled ? tf.mean(out, [1, 2]) : out.reshape([images.shape[0], -1])) as tf.Tensor2D;
          })
        : (featureModel.predict(images) as tf.Tensor2D),
    dispose: () => {
      folded?.dispose();
      model.dispose();
    },
  };
}
