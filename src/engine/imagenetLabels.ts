/**
 * "What the backbone sees": pretrained ImageNet labels of images, from the backbone's
 * own ImageNet top when it has one (the package models, the V1 layers models), else from
 * the @tensorflow-models/mobilenet V1 0.25 model, loaded on first use and kept.
 * A class's images are read from storage only for the evenly spaced sample labelled.
 */
import type { LoadedBackbone } from '../ml/backbone';
import { getBackbone, IMAGENET_LABELLER_ID } from '../ml/backbones';
import { frequentLabels } from '../ml/imagenet';
import { rgbaBatchToTensor } from '../ml/preprocess';
import type { ClassImagenetView, ImagenetLabel, ImagenetView } from './backboneTypes';

const BATCH = 8;
/** A class's images labelled at most (evenly sampled beyond that): enough to see its common labels. */
export const CLASS_SAMPLE_LIMIT = 48;

export interface LabellerHost {
  /** Loads a catalog backbone without making it the engine's current one (Backbones.loadSide). */
  loadSideModel(id: string): Promise<LoadedBackbone>;
  /** Decodes an image to size × size RGBA (centre square). */
  pixels(image: Blob, size: number): Promise<Uint8ClampedArray>;
  /** Stored bytes of samples, in the order asked; undefined for ones removed meanwhile (Projects.bytes). */
  bytes(ids: string[]): Promise<(Blob | undefined)[]>;
}

export class ImagenetLabels {
  private fallback: Promise<LoadedBackbone> | null = null;

  constructor(private readonly host: LabellerHost) {}

  /** The model that names ImageNet classes for this backbone. */
  private async labellerFor(backbone: LoadedBackbone): Promise<{ model: LoadedBackbone; ownTop: boolean }> {
    if (backbone.imagenet) return { model: backbone, ownTop: true };
    this.fallback ??= this.host.loadSideModel(IMAGENET_LABELLER_ID).catch((error) => {
      this.fallback = null;
      throw new Error(
        `${backbone.spec.title} has no ImageNet top, and the model that labels images for it (${getBackbone(IMAGENET_LABELLER_ID).title}) could not be loaded: ${error instanceof Error ? error.message : error}`,
      );
    });
    return { model: await this.fallback, ownTop: false };
  }

  /** Top-k labels per image. */
  private async label(model: LoadedBackbone, images: Blob[], k: number): Promise<ImagenetLabel[][]> {
    const { inputSize, scaling } = model.spec;
    const rows: ImagenetLabel[][] = [];
    for (let start = 0; start < images.length; start += BATCH) {
      const pixels = await Promise.all(images.slice(start, start + BATCH).map((b) => this.host.pixels(b, inputSize)));
      const input = rgbaBatchToTensor(pixels, inputSize, scaling);
      try {
        rows.push(...(await model.imagenet!.topK(input, k)));
      } finally {
        input.dispose();
      }
    }
    return rows;
  }

  async ofImage(backbone: LoadedBackbone, image: Blob, k = 3): Promise<ImagenetView> {
    const { model, ownTop } = await this.labellerFor(backbone);
    const [labels] = await this.label(model, [image], k);
    return { labels, by: model.spec.title, ownTop };
  }

  /** The most frequent top-1 labels of a class's samples (at most CLASS_SAMPLE_LIMIT of them, evenly spaced, are read and labelled). */
  async ofClass(backbone: LoadedBackbone, sampleIds: readonly string[], limit = 5): Promise<ClassImagenetView> {
    if (sampleIds.length === 0) throw new Error('This class has no images to label yet.');
    const step = Math.max(1, sampleIds.length / CLASS_SAMPLE_LIMIT);
    const chosen = Array.from({ length: Math.min(sampleIds.length, CLASS_SAMPLE_LIMIT) }, (_, i) => sampleIds[Math.floor(i * step)]);
    const images = (await this.host.bytes(chosen)).filter((b): b is Blob => b !== undefined);
    if (images.length === 0) throw new Error('The images of this class are no longer stored; add them again.');
    const { model, ownTop } = await this.labellerFor(backbone);
    const rows = await this.label(model, images, 1);
    return { labels: frequentLabels(rows, limit), images: images.length, of: sampleIds.length, by: model.spec.title, ownTop };
  }

  dispose(): void {
    void this.fallback?.then((m) => m.dispose()).catch(() => undefined);
    this.fallback = null;
  }
}
