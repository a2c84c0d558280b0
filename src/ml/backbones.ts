/**
 * The catalog of pretrained backbones. Facts come from the models' sources
 * (see README "Backbones"); each entry says how to load the model, where its
 * feature layer is, and how an image must be preprocessed for it.
 */

export type BackboneFormat = 'layers' | 'graph';

/** How pixel values 0..255 become model inputs. */
export type PixelScaling =
  /** x / 127 - 1, exactly as Teachable Machine's `capture()` does it. */
  | 'teachable-machine'
  /** x / 255: the graph applies its own x*2-1. */
  | 'unit';

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
  /** Teachable Machine's model settings for metadata.json, when TM has this base. */
  teachableMachine?: { version: 1 | 2; alpha: number };
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
] as const satisfies readonly BackboneSpec[];

export type BackboneId = (typeof BACKBONES)[number]['id'];

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
