import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHead, HEAD_LAYER_NAMES, trainingOutput } from './head';
import { createRng } from './random';

beforeAll(() => tf.setBackend('cpu'));

describe('trainingOutput', () => {
  it('draws a different dropout mask at every step, the same ones again for the same seed, and leaves the layer as built', () => {
    const head = createHead({ inputSize: 16, numClasses: 3, hiddenUnits: 64, dropout: 0.5, seed: 42 });
    const x = tf.randomUniform([4, 16], 0, 1, 'float32', 1);
    const pass = (run: () => tf.Tensor) => Array.from(run().dataSync());
    // What tfjs does on its own with a seeded Dropout layer: the same mask at every call.
    expect(pass(() => head.apply(x, { training: true }) as tf.Tensor)).toEqual(pass(() => head.apply(x, { training: true }) as tf.Tensor));

    const rng = createRng(7);
    const first = pass(() => trainingOutput(head, x, rng));
    const second = pass(() => trainingOutput(head, x, rng));
    expect(second).not.toEqual(first);
    const again = createRng(7);
    expect([pass(() => trainingOutput(head, x, again)), pass(() => trainingOutput(head, x, again))]).toEqual([first, second]);
    expect(head.getLayer(HEAD_LAYER_NAMES.dropout).getConfig().seed).toBe(42);
  });
});
