import * as tf from '@tensorflow/tfjs';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackbone, IMAGENET_LABELLER_ID } from './backbones';
import { loadBackbone } from './backbone';
import { IMAGENET_LABELS } from './imagenet';

// The real V1 0.25 TF-Hub graph that `npm run models` puts in public/models (the package's {version: 1, alpha: 0.25}).
const modelsRoot = resolve(import.meta.dirname, '../../public/models');
const present = existsSync(join(modelsRoot, IMAGENET_LABELLER_ID, 'model.json'));
let server: Server;
let origin = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  server = createServer((request, response) => {
    const path = normalize(join(modelsRoot, decodeURIComponent(new URL(request.url!, 'http://x').pathname)));
    if (!path.startsWith(modelsRoot) || !existsSync(path)) return void response.writeHead(404).end();
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** Two 224×224 pixel images (0..255): a smooth gradient and a checkerboard. */
function pixels(): tf.Tensor4D {
  return tf.tidy(() => {
    const ramp = tf.linspace(0, 255, 224).reshape([1, 224, 1, 1]).tile([1, 1, 224, 3]);
    const rows = tf.range(0, 224).floorDiv(28).reshape([224, 1]);
    const checks = rows.add(rows.reshape([1, 224])).mod(2).mul(255).reshape([1, 224, 224, 1]).tile([1, 1, 1, 3]);
    return tf.concat([ramp, checks.toFloat()]) as tf.Tensor4D;
  });
}

describe.skipIf(!present)('MobileNet through @tensorflow-models/mobilenet', () => {
  it('loads the same-origin copy, embeds with infer(x, true) as the graph\'s global pool of x / 255, and names ImageNet classes', async () => {
    const spec = getBackbone(IMAGENET_LABELLER_ID);
    const fractions: number[] = [];
    const backbone = await loadBackbone(spec, { localUrl: `${origin}/${spec.id}/model.json`, onProgress: (f) => fractions.push(f) });
    // The same node read directly from a plain graph model, fed the [0, 1] inputs the graph wants.
    const graph = await tf.loadGraphModel(`${origin}/${spec.id}/model.json`);
    const before = tf.memory().numTensors;
    const images = pixels();
    try {
      expect(backbone.source).toBe(`${origin}/${spec.id}/model.json`);
      expect(fractions.at(-1)).toBe(1);
      const embeddings = backbone.embed(images);
      expect(embeddings.shape).toEqual([2, 256]);
      const direct = tf.tidy(() => (graph.execute(images.div(255), spec.featureNode) as tf.Tensor).reshape([2, 256]));
      expect(tf.tidy(() => tf.max(tf.abs(embeddings.sub(direct))).dataSync()[0])).toBeLessThan(1e-4);
      tf.dispose([embeddings, direct]);

      const top = await backbone.imagenet!.topK(images, 3);
      expect(top).toHaveLength(2);
      for (const row of top) {
        expect(row).toHaveLength(3);
        expect(row.every((r) => IMAGENET_LABELS.includes(r.label))).toBe(true);
        expect(row[0].probability).toBeGreaterThanOrEqual(row[1].probability);
      }
      // The two images look different to the network.
      expect(top[0][0].label).not.toBe(top[1][0].label);
    } finally {
      images.dispose();
      // Embedding and labelling leave no tensors behind.
      expect(tf.memory().numTensors).toBe(before);
      backbone.dispose();
      graph.dispose();
    }
  });
});
