/**
 * The WASM backend has no `Conv2DBackpropFilter` kernel, which every gradient step
 * through a trainable Conv2D needs. Without it, fine-tuning on WASM (the fastest
 * backend on machines without a usable GPU) fell back to the CPU backend, which is
 * some hundred times slower at this kernel. This fills the gap with kernels WASM has:
 * for stride 1, a 2-D filter gradient is a 3-D one with a depth of 1
 * (`Conv3DBackpropFilterV2`), and for 1×1 convolutions (MobileNets' pointwise
 * layers) it is a single matrix product, xᵀ·dy. Strided convolutions still fall
 * back to the CPU backend.
 *
 * It also makes WASM's matrix products with a transposed operand fast, which a
 * Dense layer's gradients are (see matMulWithoutTransposes).
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType };
interface FilterGradAttrs {
  strides: [number, number] | number;
  pad: 'same' | 'valid' | number | unknown;
  dataFormat: 'NHWC' | 'NCHW';
  filterShape: [number, number, number, number];
}

const KERNEL = 'Conv2DBackpropFilter';

function conv2DBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) {
  const { x, dy } = inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, filterShape } = attrs as unknown as FilterGradAttrs;
  if (dataFormat !== 'NHWC') throw new Error(`${KERNEL} on wasm supports NHWC only, got ${dataFormat}.`);
  if (typeof pad !== 'string' && typeof pad !== 'number') throw new Error(`${KERNEL} on wasm supports 'same', 'valid' or numeric padding only.`);
  const [strideHeight, strideWidth] = typeof strides === 'number' ? [strides, strides] : strides;
  const [filterHeight, filterWidth, inChannels, outChannels] = filterShape;
  const [batch, height, width] = x.shape;
  const [, outHeight, outWidth] = dy.shape;
  // Reshapes share the data: only the shape the kernel reads changes, nothing is copied or owned.
  const as = (info: TensorInfo, shape: number[]): TensorInfo => ({ dataId: info.dataId, shape, dtype: info.dtype });
  let result: TensorInfo;
  if (filterHeight === 1 && filterWidth === 1 && strideHeight === 1 && strideWidth === 1 && (pad === 'same' || pad === 'valid' || pad === 0)) {
    const matMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
    const positions = batch * height * width;
    // WASM's matmul is about twice as slow with transposeA as on an explicitly transposed copy.
    const xT = transpose({ inputs: { x: as(x, [positions, inChannels]) } as unknown as tf.NamedTensorInfoMap, backend, attrs: { perm: [1, 0] } }) as TensorInfo;
    try {
      result = matMul({
        inputs: { a: as(xT, [1, inChannels, positions]), b: as(dy, [1, positions, outChannels]) } as unknown as tf.NamedTensorInfoMap,
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
    } finally {
      backend.disposeData(xT.dataId as tf.DataId);
    }
  } else if (strideHeight === 1 && strideWidth === 1) {
    const conv3d = tf.getKernel('Conv3DBackpropFilterV2', 'wasm')!.kernelFunc;
    result = conv3d({
      inputs: { x: as(x, [batch, 1, height, width, inChannels]), dy: as(dy, [batch, 1, outHeight, outWidth, outChannels]) } as unknown as tf.NamedTensorInfoMap,
      backend,
      attrs: { strides: [1, strideHeight, strideWidth], pad, filterShape: [1, filterHeight, filterWidth, inChannels, outChannels] } as unknown as tf.NamedAttrMap,
    }) as TensorInfo;
  } else {
    // WASM's 3-D filter gradient is wrong for strides above 1 (tfjs 4.22, checked against
    // the CPU backend), so these report as missing and the run falls back to the CPU.
    throw new Error(`Kernel '${KERNEL}' not registered for backend 'wasm' with strides ${strideHeight}×${strideWidth} (only stride 1 is provided here).`);
  }
  // The kernel's output is ours alone, so it can be handed back under the 4-D shape.
  return as(result, filterShape);
}

/**
 * WASM's BatchMatMul is fast only without transposes: with transposeA or transposeB it
 * leaves XNNPACK for a plain loop. A Dense layer's gradients are exactly those two
 * (xᵀ·dy for the weights, dy·Wᵀ for the input), so training a head spent most of its
 * time there: for 1280×100 at batch 64, 10 ms and 6 ms, against 2.3 ms with the
 * operand transposed first (tfjs 4.22, Node). This transposes explicitly, then multiplies.
 */
function matMulWithoutTransposes(plain: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as unknown as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return plain({ inputs, backend, attrs });
    const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
    const made: TensorInfo[] = [];
    const swapLastTwo = (info: TensorInfo): TensorInfo => {
      const rank = info.shape.length;
      const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
      const swapped = transpose({ inputs: { x: info } as unknown as tf.NamedTensorInfoMap, backend, attrs: { perm } }) as TensorInfo;
      made.push(swapped);
      return swapped;
    };
    try {
      const operands = { a: transposeA ? swapLastTwo(a) : a, b: transposeB ? swapLastTwo(b) : b };
      return plain({ inputs: operands as unknown as tf.NamedTensorInfoMap, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      made.forEach((info) => (backend as tf.KernelBackend).disposeData(info.dataId as tf.DataId));
    }
  };
}

const fasterMatMul = new WeakSet<tf.KernelFunc>();

/** Registers the missing WASM gradient kernels and the faster matmul (once; the filter gradient is a no-op when tfjs gains its own). */
export function registerWasmGradients(): void {
  if (!tf.getKernel(KERNEL, 'wasm')) {
    tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc });
  }
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (matMul && !fasterMatMul.has(matMul.kernelFunc)) {
    const kernelFunc = matMulWithoutTransposes(matMul.kernelFunc);
    fasterMatMul.add(kernelFunc);
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ ...matMul, kernelFunc });
  }
}
