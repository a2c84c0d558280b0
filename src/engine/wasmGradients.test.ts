import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmGradients } from './wasmGradients';

type Shape = [number, number, number, number];

/** d(sum(conv2d(x, w) * weights))/dw on the active backend, for a fixed random problem. */
function filterGradient(shape: { x: Shape; filter: Shape }, strides: number, pad: 'same' | 'valid') {
  return tf.tidy(() => {
    const x = tf.randomNormal(shape.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal(shape.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, strides, pad);
    const weights = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    return Array.from(tf.grad((filter) => tf.conv2d(x, filter as tf.Tensor4D, strides, pad).mul(weights).sum())(w).dataSync());
  });
}

describe('wasm Conv2DBackpropFilter', () => {
  beforeAll(async () => {
    registerWasmGradients();
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  const cases = [
    { name: 'pointwise 1×1, stride 1', x: [3, 7, 7, 5] as Shape, filter: [1, 1, 5, 6] as Shape, strides: 1, pad: 'same' as const },
    { name: '3×3, stride 1, same', x: [2, 9, 9, 3] as Shape, filter: [3, 3, 3, 4] as Shape, strides: 1, pad: 'same' as const },
    { name: '3×3, stride 1, valid', x: [2, 6, 6, 2] as Shape, filter: [3, 3, 2, 3] as Shape, strides: 1, pad: 'valid' as const },
  ];
  for (const c of cases) {
    it(`matches the CPU backend for ${c.name}`, async () => {
      const before = tf.memory().numTensors;
      const dataBefore = tf.backend().numDataIds();
      const onWasm = filterGradient(c, c.strides, c.pad);
      expect(tf.memory().numTensors).toBe(before);
      // Intermediates made inside the kernel are freed too.
      expect(tf.backend().numDataIds()).toBe(dataBefore);
      await tf.setBackend('cpu');
      const onCpu = filterGradient(c, c.strides, c.pad);
      await tf.setBackend('wasm');
      expect(onWasm).toHaveLength(onCpu.length);
      onWasm.forEach((value, i) => expect(value).toBeCloseTo(onCpu[i], 3));
    });
  }

  it('reports strided convolutions as a missing kernel, so the run can fall back to the CPU', () => {
    expect(() => filterGradient({ x: [1, 8, 8, 2], filter: [3, 3, 2, 2] }, 2, 'same')).toThrow(/Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/);
  });

  it('lets a layers model with a trainable Conv2D take gradient steps on wasm', () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [5, 5, 4], filters: 3, kernelSize: 1, kernelInitializer: 'ones' }), tf.layers.globalAveragePooling2d({})],
    });
    const x = tf.ones([2, 5, 5, 4]);
    const optimizer = tf.train.sgd(0.01);
    const loss = () => (model.apply(x) as tf.Tensor).sum() as tf.Scalar;
    const first = tf.tidy(() => loss().dataSync()[0]);
    tf.tidy(() => {
      optimizer.minimize(loss);
    });
    expect(tf.tidy(() => loss().dataSync()[0])).toBeLessThan(first);
    tf.dispose([x]);
    model.dispose();
    optimizer.dispose();
  });
});

describe('wasm BatchMatMul with transposed operands', () => {
  beforeAll(async () => {
    registerWasmGradients();
    await tf.setBackend('wasm');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  /** a·b with the given transposes, from fixed random operands of the shapes the flags need. */
  const product = (batch: number[], transposeA: boolean, transposeB: boolean) =>
    tf.tidy(() => {
      const [m, k, n] = [5, 7, 3];
      const a = tf.randomNormal([...batch, ...(transposeA ? [k, m] : [m, k])], 0, 1, 'float32', 4);
      const b = tf.randomNormal([...batch, ...(transposeB ? [n, k] : [k, n])], 0, 1, 'float32', 5);
      return Array.from(tf.matMul(a, b, transposeA, transposeB).dataSync());
    });

  for (const batch of [[], [2]]) {
    for (const [transposeA, transposeB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ]) {
      it(`matches the CPU backend (rank ${batch.length + 2}, transposeA ${transposeA}, transposeB ${transposeB}) and frees what it made`, async () => {
        const dataBefore = tf.backend().numDataIds();
        const onWasm = product(batch, transposeA, transposeB);
        expect(tf.backend().numDataIds()).toBe(dataBefore);
        await tf.setBackend('cpu');
        const onCpu = product(batch, transposeA, transposeB);
        await tf.setBackend('wasm');
        expect(onWasm).toHaveLength(onCpu.length);
        onWasm.forEach((value, i) => expect(value).toBeCloseTo(onCpu[i], 4));
      });
    }
  }

  it('registers once: calling again keeps a single wrapper', () => {
    const first = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    registerWasmGradients();
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(first);
  });
});
