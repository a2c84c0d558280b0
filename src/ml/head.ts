import * as tf from '@tensorflow/tfjs';

export interface HeadOptions {
  inputSize: number;
  numClasses: number;
  hiddenUnits: number;
  dropout: number;
  seed?: number;
}

/** Layer names are fixed so exported models read the same in every run. */
export const HEAD_LAYER_NAMES = {
  pool: 'ts_global_pool',
  hidden: 'ts_head_hidden',
  dropout: 'ts_head_dropout',
  output: 'ts_head_output',
} as const;

/** Dense(hidden, relu) → Dropout → Dense(classes, softmax), the classifier trained on embeddings. */
export function createHead({ inputSize, numClasses, hiddenUnits, dropout, seed }: HeadOptions): tf.Sequential {
  const init = (offset: number) => tf.initializers.glorotUniform(seed === undefined ? {} : { seed: seed + offset });
  return tf.sequential({
    name: 'ts_head',
    layers: [
      tf.layers.dense({
        name: HEAD_LAYER_NAMES.hidden,
        inputShape: [inputSize],
        units: hiddenUnits,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dropout({ name: HEAD_LAYER_NAMES.dropout, rate: dropout, seed }),
      tf.layers.dense({
        name: HEAD_LAYER_NAMES.output,
        units: numClasses,
        activation: 'softmax',
        kernelInitializer: init(2),
      }),
    ],
  });
}

/** Reads the head's shape back from a model built by createHead. */
export function headOptionsOf(head: tf.LayersModel): HeadOptions {
  const hidden = head.getLayer(HEAD_LAYER_NAMES.hidden).getConfig();
  const dropout = head.getLayer(HEAD_LAYER_NAMES.dropout).getConfig();
  const output = head.getLayer(HEAD_LAYER_NAMES.output).getConfig();
  return {
    inputSize: head.inputs[0].shape[1] as number,
    hiddenUnits: hidden.units as number,
    dropout: dropout.rate as number,
    numClasses: output.units as number,
  };
}

/**
 * A layers model's output for a whole batch in one pass (inference mode). Unlike
 * `model.predict`, which cuts its input into slices of 32 rows and concatenates
 * the outputs, this runs each layer once: validating 1,500 rows took 1.2 s that
 * way on WASM in Chromium (two thirds of an epoch), and ~10 ms this way.
 */
export function runModel(model: tf.LayersModel, input: tf.Tensor): tf.Tensor {
  return model.apply(input, { training: false }) as tf.Tensor;
}

/**
 * The head's output for one training step, with a dropout mask of its own. A
 * tfjs Dropout layer built with a seed draws its mask from that seed at every
 * call, so every step dropped the very same hidden units: a smaller network,
 * not dropout. Each step's mask is seeded from the run's random stream instead,
 * so masks differ from step to step and a run with the same seed repeats. The
 * layer's own seed is put back, so a saved model's config does not change.
 */
export function trainingOutput(head: tf.LayersModel, input: tf.Tensor, rng: () => number): tf.Tensor {
  const dropout = head.layers.find((layer) => layer.name === HEAD_LAYER_NAMES.dropout) as (tf.layers.Layer & { seed?: number }) | undefined;
  const layerSeed = dropout?.seed;
  if (dropout && layerSeed !== undefined) dropout.seed = Math.floor(rng() * 2 ** 31);
  try {
    return head.apply(input, { training: true }) as tf.Tensor;
  } finally {
    if (dropout) dropout.seed = layerSeed;
  }
}
