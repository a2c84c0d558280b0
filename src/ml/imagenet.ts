/** ImageNet's class names and top-k labelling of class probabilities. */
import * as tf from '@tensorflow/tfjs';
import { IMAGENET_CLASSES } from '@tensorflow-models/mobilenet/dist/imagenet_classes';
import type { ImagenetLabeller } from './backbone';

/** The 1000 ImageNet classes in the order MobileNet outputs them (from @tensorflow-models/mobilenet). */
export const IMAGENET_LABELS: readonly string[] = Array.from({ length: 1000 }, (_, i) => IMAGENET_CLASSES[i]);

/** Top-k of each row of `scores` [N, 1000] (probabilities, or logits with `softmax`), named. */
export async function topKLabels(scores: tf.Tensor2D, k: number, softmax = false): Promise<{ label: string; probability: number }[][]> {
  const { values, indices } = tf.tidy(() => tf.topk(softmax ? tf.softmax(scores) : scores, k));
  try {
    const [v, i] = await Promise.all([values.array(), indices.array()]);
    return i.map((row, n) => row.map((index, j) => ({ label: IMAGENET_LABELS[index], probability: v[n][j] })));
  } finally {
    values.dispose();
    indices.dispose();
  }
}

/** A labeller over a function that gives ImageNet probabilities [N, 1000]. */
export function softmaxLabeller(probabilities: (images: tf.Tensor4D) => tf.Tensor2D): ImagenetLabeller {
  return {
    async topK(images, k) {
      const scores = tf.tidy(() => probabilities(images));
      try {
        return await topKLabels(scores, k);
      } finally {
        scores.dispose();
      }
    },
  };
}

/**
 * The most frequent top-1 labels over many images' label lists, most frequent first,
 * with how many images had each (ties: higher summed probability first).
 */
export function frequentLabels(perImage: readonly { label: string; probability: number }[][], limit: number): { label: string; count: number; meanProbability: number }[] {
  const tally = new Map<string, { count: number; sum: number }>();
  for (const labels of perImage) {
    const top = labels[0];
    if (!top) continue;
    const entry = tally.get(top.label) ?? { count: 0, sum: 0 };
    entry.count++;
    entry.sum += top.probability;
    tally.set(top.label, entry);
  }
  return [...tally]
    .map(([label, { count, sum }]) => ({ label, count, meanProbability: sum / count }))
    .sort((a, b) => b.count - a.count || b.meanProbability - a.meanProbability)
    .slice(0, limit);
}
