import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
const dir = 'public/models/mobilenet_v2_035_224/';
const json = JSON.parse(readFileSync(dir + 'model.json', 'utf8'));
const weightData = new Uint8Array(readFileSync(dir + json.weightsManifest[0].paths[0])).buffer;
await tf.setBackend('wasm');
const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
const feat = tf.model({ inputs: model.inputs, outputs: model.getLayer('out_relu').output });
for (const batch of [1, 8]) {
  const x = tf.randomUniform([batch, 224, 224, 3], -1, 1);
  for (let i = 0; i < 3; i++) tf.tidy(() => feat.predict(x)).dispose();
  const n = batch === 1 ? 24 : 3;
  let t = performance.now();
  for (let i = 0; i < n; i++) { const y = tf.tidy(() => tf.mean(feat.predict(x), [1, 2])); await y.data(); y.dispose(); }
  const wall = (performance.now() - t) / n / batch;
  const profile = await tf.profile(async () => { const y = tf.tidy(() => tf.mean(feat.predict(x), [1, 2])); await y.data(); y.dispose(); });
  const kernelMs = profile.kernels.reduce((s, k) => s + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), 0);
  const byName = {};
  for (const k of profile.kernels) byName[k.name] = (byName[k.name] ?? 0) + k.kernelTimeMs;
  const top = Object.entries(byName).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${(100 * v / kernelMs).toFixed(0)}%`);
  console.log(`batch ${batch}: ${wall.toFixed(1)} ms/image wall; one profiled call: ${profile.kernels.length} kernels, kernel time ${(kernelMs / batch).toFixed(1)} ms/image; top: ${top.join(', ')}`);
  x.dispose();
}
