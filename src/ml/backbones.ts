/**
 * The catalog of pretrained backbones. Facts come from the models' sources
 * (see README "Backbones"); each entry says how to load the model, where its
 * feature layer is, and how an image must be preprocessed for it.
 */

/**
 * 'mobilenet-package': a TF-Hub MobileNet classification graph loaded through
 * `@tensorflow-models/mobilenet` (`load({version, alpha, modelUrl?, inputRange})`),
 * embedded with its `infer(x, true)` and labelled with its `classify`.
 */
export type BackboneFormat = 'layers' | 'graph' | 'mobilenet-package';

/** How pixel values 0..255 become model inputs. */
export type PixelScaling =
  /** x / 127 - 1, exactly as Teachable Machine's `capture()` does it. */
  | 'teachable-machine'
  /** x / 255: the graph applies its own x*2-1. */
  | 'unit'
  /** 0..255 as is: `@tensorflow-models/mobilenet` scales to the model's input range itself. */
  | 'pixels';

export interface BackboneSpec {
  id: string;
  title: string;
  format: BackboneFormat;
  /** Square input side in pixels. */
  inputSize: number;
  scaling: PixelScaling;
  /** Layers: the layer whose output is pooled. Graph: the node to execute. */
  featureNode: string;
  /** Whether the feature output is spatial [N,h,w,c] and needs global average pooling. */
  pooled: boolean;
  embeddingSize: number;
  /** Canonical public model.json URL, the fallback when the same-origin copy is missing. */
  publicUrl: string;
  /** Suffix appended to every public URL (TF-Hub serves files only with it). */
  publicUrlQuery?: string;
  /** Folder name of this model in MODELS_DIR (../shared/models). */
  sourceDir: string;
  /**
   * 'required' (default): `npm run models` must fill public/models/<id>/ (copy or download).
   * 'if-in-models-dir': copied when MODELS_DIR has it; otherwise the app loads it from its
   * public URL at run time, and shows it as unavailable when that is unreachable too.
   */
  localCopy?: 'required' | 'if-in-models-dir';
  /** Teachable Machine's model settings for metadata.json, when TM has this base. */
  teachableMachine?: { version: 1 | 2; alpha: number };
  /** For 'mobilenet-package': the package's `load` config (its own URL and input range follow from it). */
  mobilenetPackage?: { version: 1 | 2; alpha: 0.25 | 0.5 | 0.75 | 1 };
  /** Whether the model ends in ImageNet's 1000 classes, so it can say what it sees by itself. */
  imagenetTop?: boolean;
}

/** The models `@tensorflow-models/mobilenet@2` knows: TF-Hub classification graphs, 224 px, input [0, 1]. */
function packageEntry(version: 1 | 2, alpha: 0.25 | 0.5 | 0.75 | 1, note = ''): BackboneSpec {
  const width = alpha.toFixed(2);
  const hubName = `mobilenet_v${version}_${width.replace('.', '').padStart(3, '0')}_224`;
  return {
    id: `${hubName}_package`,
    title: `MobileNet V${version} ${width} · 224 px (TF-Hub graph via @tensorflow-models/mobilenet${note})`,
    format: 'mobilenet-package',
    inputSize: 224,
    scaling: 'pixels',
    // The nodes the package's infer(x, true) reads.
    featureNode: version === 1 ? 'module_apply_default/MobilenetV1/Logits/global_pool' : 'module_apply_default/MobilenetV2/Logits/AvgPool',
    pooled: false,
    // V1's last layer is 1024·alpha wide; V2's is 1280 for every alpha up to 1.
    embeddingSize: version === 1 ? Math.round(1024 * alpha) : 1280,
    publicUrl: `https://tfhub.dev/google/imagenet/${hubName}/classification/${version === 1 ? 1 : 2}/model.json`,
    publicUrlQuery: '?tfjs-format=file',
    sourceDir: `${hubName}_tfhub_classification`,
    localCopy: 'if-in-models-dir',
    mobilenetPackage: { version, alpha },
    imagenetTop: true,
  };
}

export const BACKBONES = [
  {
    id: 'mobilenet_v2_035_224',
    title: 'MobileNet V2 0.35 · 224 px (Teachable Machine)',
    format: 'layers',
    inputSize: 224,
    scaling: 'teachable-machine',
    featureNode: 'out_relu',
    pooled: true,
    embeddingSize: 1280,
    publicUrl:
      'https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top/model.json',
    sourceDir: 'mobilenet_v2_035_224_no_top',
    teachableMachine: { version: 2, alpha: 0.35 },
  },
  {
    id: 'mobilenet_v1_025_224',
    title: 'MobileNet V1 0.25 · 224 px (smallest)',
    format: 'layers',
    inputSize: 224,
    scaling: 'teachable-machine',
    featureNode: 'conv_pw_13_relu',
    pooled: true,
    embeddingSize: 256,
    publicUrl: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json',
    sourceDir: 'mobilenet_v1_025_224',
    teachableMachine: { version: 1, alpha: 0.25 },
    imagenetTop: true,
  },
  {
    id: 'mobilenet_v1_075_224',
    title: 'MobileNet V1 0.75 · 224 px',
    format: 'layers',
    inputSize: 224,
    scaling: 'teachable-machine',
    featureNode: 'conv_pw_13_relu',
    pooled: true,
    embeddingSize: 768,
    publicUrl: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224/model.json',
    sourceDir: 'mobilenet_v1_075_224',
    teachableMachine: { version: 1, alpha: 0.75 },
    imagenetTop: true,
  },
  {
    id: 'mobilenet_v2_050_96',
    title: 'MobileNet V2 0.50 · 96 px (graph model, fastest)',
    format: 'graph',
    inputSize: 96,
    scaling: 'unit',
    featureNode: 'module_apply_default/hub_output/feature_vector/SpatialSqueeze',
    pooled: false,
    embeddingSize: 1280,
    publicUrl:
      'https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v2_050_96/feature_vector/3/default/1/model.json',
    publicUrlQuery: '?tfjs-format=file',
    sourceDir: 'mobilenet_v2_050_96_tfhub_feature_vector',
  },
  // The V1 0.25 graph is in ../shared/models (the tests use it); the others load from TF-Hub.
  { ...packageEntry(1, 0.25), localCopy: 'required' },
  packageEntry(1, 0.5),
  packageEntry(1, 0.75),
  packageEntry(1, 1),
  packageEntry(2, 0.5),
  packageEntry(2, 0.75),
  packageEntry(2, 1),
] as const satisfies readonly BackboneSpec[];

export type BackboneId = (typeof BACKBONES)[number]['id'];

/** The package model that labels images for backbones without an ImageNet top of their own. */
export const IMAGENET_LABELLER_ID = 'mobilenet_v1_025_224_package';

export const DEFAULT_BACKBONE_ID: BackboneId = 'mobilenet_v2_035_224';

export function getBackbone(id: string): BackboneSpec {
  const spec = BACKBONES.find((b) => b.id === id);
  if (!spec) throw new Error(`Unknown backbone "${id}". Known: ${BACKBONES.map((b) => b.id).join(', ')}`);
  return spec;
}

/** Same-origin path the models script fills (public/models/<id>/model.json). */
export function localModelUrl(spec: BackboneSpec, base = '/'): string {
  return `${base.replace(/\/?$/, '/')}models/${spec.id}/model.json`;
}

/** Public URL of a file that sits next to the public model.json (weight shards). */
export function publicFileUrl(spec: BackboneSpec, fileName: string): string {
  return new URL(fileName, spec.publicUrl).href + (spec.publicUrlQuery ?? '');
}
