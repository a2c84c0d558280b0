/**
 * How many images one backbone call takes, by backend. A GPU backend pays a fixed
 * cost per call (dispatching some hundred kernels, then one readback that waits for
 * the whole queue), whatever the batch; larger batches spread it over more images.
 * WASM and CPU gain nothing past a few images and would only hold more memory.
 * The embedding loop, the fine-tuning prefix pass and the occlusion heatmap's
 * batches all read their results once per batch, so all three use this.
 */
const DEFAULT_BATCH = 8;

const BATCH_BY_BACKEND: Record<string, number> = {
  // Not yet measured on GPU hardware: `npm run bench:gpu`'s sweep (embed.byBatch.b1/b8/b32) on a GPU
  // machine settles it. On a software adapter (lavapipe, two cores) batch 8 was faster than 32.
  webgpu: 32,
};

/** Images per backbone call on `backend` (a tfjs backend name). */
export function inferenceBatchSize(backend: string): number {
  return BATCH_BY_BACKEND[backend] ?? DEFAULT_BATCH;
}
