/**
 * `npm run bench:gpu:pack`: writes a folder that runs the GPU benchmark with
 * `node <folder>/bench-gpu.mjs --json` on a machine with Node 20+ and a GPU
 * driver but no npm, no network and no Chromium:
 *
 *   bench-gpu.mjs                      scripts/bench-gpu.ts and everything it imports, bundled by esbuild
 *   dist/<platform>-<arch>/dawn.node   Dawn's Node addon from the `webgpu` package (where its loader looks)
 *   wasm/*.wasm                        tfjs-backend-wasm, for the comparison column
 *   models/<backbone>/                 the default backbone's model.json and weights
 *   images/<class>/*.jpg               a few hundred images, centre-cropped to the model's input size
 *
 *   npm run bench:gpu:pack -- [--out dist/bench-gpu] [--data ../shared/datasets/cats_dogs] [--images 300]
 *                             [--platforms linux-x64,darwin-universal,win32-x64,…]
 */
import { build } from 'esbuild';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_BACKBONE_ID, getBackbone } from '../src/ml/backbones';
import { generatedImages, loadImageFolder } from '../bench/gpu/images';
import { modelDir, wasmDir } from '../bench/gpu/layout';

const root = resolve(import.meta.dirname, '..');
const LIMIT_BYTES = 60 * 2 ** 20;
const defaultData = resolve(root, '..', 'shared', 'datasets', 'cats_dogs');

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'dist', 'bench-gpu') },
    data: { type: 'string' },
    images: { type: 'string', default: '300' },
    platforms: { type: 'string', default: `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}` },
  },
});

const log = (...parts: unknown[]) => console.error('[bench:gpu:pack]', ...parts);

function folderBytes(path: string): number {
  const stats = statSync(path);
  return stats.isDirectory() ? readdirSync(path).reduce((sum, name) => sum + folderBytes(join(path, name)), 0) : stats.size;
}

async function main() {
  const out = resolve(args.out);
  const count = Number(args.images);
  if (!Number.isInteger(count) || count < 2) throw new Error('--images must be an integer ≥ 2');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  log('bundling scripts/bench-gpu.ts…');
  await build({
    entryPoints: [join(root, 'scripts', 'bench-gpu.ts')],
    outfile: join(out, 'bench-gpu.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Makes layout.ts read files next to the bundle instead of the repository's.
    define: { 'process.env.BENCH_GPU_PACKED': '"true"' },
    // The CommonJS inside (tfjs's Node builds, pngjs) calls require() for Node's own modules and reads __dirname.
    banner: {
      js: [
        "import { createRequire as __packRequire } from 'node:module';",
        "import { fileURLToPath as __packPath } from 'node:url';",
        'const require = __packRequire(import.meta.url);',
        'const __filename = __packPath(import.meta.url);',
        "const __dirname = __packPath(new URL('.', import.meta.url));",
      ].join(' '),
    },
    logLevel: 'error',
  });

  const webgpuDist = join(dirname(createRequire(import.meta.url).resolve('webgpu/package.json')), 'dist');
  for (const platform of args.platforms.split(',')) {
    const from = join(webgpuDist, platform);
    if (!existsSync(join(from, 'dawn.node'))) throw new Error(`The webgpu package has no dawn.node for ${platform} (it has ${readdirSync(webgpuDist).join(', ')})`);
    cpSync(from, join(out, 'dist', platform), { recursive: true });
  }
  cpSync(wasmDir(), join(out, 'wasm'), { recursive: true, filter: (path) => statSync(path).isDirectory() || path.endsWith('.wasm') });

  const spec = getBackbone(DEFAULT_BACKBONE_ID);
  if (!existsSync(join(modelDir(spec), 'model.json'))) throw new Error(`No ${spec.id} weights in ${modelDir(spec)}: run MODELS_DIR=../shared/models npm run models`);
  cpSync(modelDir(spec), join(out, 'models', spec.id), { recursive: true });

  await tf.setBackend('cpu');
  const dataRoot = args.data ?? (existsSync(defaultData) ? defaultData : null);
  log(`images: ${count} from ${dataRoot ?? 'generated scenes'}, centre-cropped to ${spec.inputSize} px…`);
  const images = dataRoot ? loadImageFolder(dataRoot, count, spec.inputSize) : generatedImages(count, spec.inputSize);
  images.pixels.forEach((pixels, i) => {
    const dir = join(out, 'images', images.classNames[images.labels[i]]);
    mkdirSync(dir, { recursive: true });
    const name = images.names[i].split('/').pop()!.replace(/\.\w+$/, '');
    writeFileSync(join(dir, `${name}.jpg`), jpeg.encode({ data: pixels, width: spec.inputSize, height: spec.inputSize }, 90).data);
  });

  writeFileSync(
    join(out, 'README.txt'),
    [
      'Transfer Studio: GPU benchmark without a browser (npm run bench:gpu, bundled).',
      '',
      'Run (Node 20+, a GPU driver: Vulkan on Linux, Metal on macOS, D3D12 on Windows; no npm, no network):',
      '  node bench-gpu.mjs --json > result.json      # the table goes to stderr, JSON to stdout',
      '  node bench-gpu.mjs --help                     # sizes, --backend webgpu|wasm|all, --batch, --sweep',
      '',
      `Contents: bench-gpu.mjs (the benchmark and TensorFlow.js, bundled), dist/${args.platforms} (Dawn's dawn.node from the npm package`,
      `"webgpu"), wasm/ (tfjs-backend-wasm), models/${spec.id}/ (the default backbone), images/ (${images.pixels.length} images of`,
      `${images.classNames.length} classes, ${spec.inputSize} px centre crops from ${dataRoot ? relative(root, dataRoot) : 'generated scenes'}; see that dataset's SOURCES.md).`,
      '',
    ].join('\n'),
  );

  const bytes = folderBytes(out);
  const size = `${(bytes / 2 ** 20).toFixed(1)} MB`;
  if (bytes >= LIMIT_BYTES) throw new Error(`${out} is ${size}, over the 60 MB limit`);
  log(`wrote ${out} (${size})`);
  console.log(`${out}\t${size}\nrun: node ${relative(process.cwd(), join(out, 'bench-gpu.mjs'))} --json`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
