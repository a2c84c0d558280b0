/**
 * Fills public/models/<id>/ with every catalog backbone: copied from
 * MODELS_DIR (e.g. ../shared/models) when set, else downloaded from each
 * model's canonical public URL (model.json plus every shard it names).
 * Entries with localCopy 'if-in-models-dir' (the @tensorflow-models/mobilenet
 * family) are only copied when MODELS_DIR has them; the app loads the others
 * from the package's own URLs at run time.
 *
 *   npm run models                 # copy or download, verify every shard
 *   npm run models -- --if-missing # only fetch what is not there yet
 */
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKBONES, publicFileUrl, type BackboneSpec } from '../src/ml/backbones';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'public', 'models');
const modelsDir = process.env.MODELS_DIR ? resolve(process.env.MODELS_DIR) : null;
const ifMissing = process.argv.includes('--if-missing');

interface Manifest {
  weightsManifest: { paths: string[] }[];
}

function shardsOf(modelJson: string): string[] {
  return (JSON.parse(modelJson) as Manifest).weightsManifest.flatMap((group) => group.paths);
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    const shards = shardsOf(await readFile(join(dir, 'model.json'), 'utf8'));
    await Promise.all(shards.map((s) => stat(join(dir, s))));
    return true;
  } catch {
    return false;
  }
}

async function copyFromModelsDir(from: string, to: string): Promise<string> {
  const modelJson = await readFile(join(from, 'model.json'), 'utf8');
  const files = ['model.json', ...shardsOf(modelJson)];
  await Promise.all(files.map((f) => copyFile(join(from, f), join(to, f))));
  return `copied ${files.length} files from ${from}`;
}

async function download(spec: BackboneSpec, to: string): Promise<string> {
  const get = async (url: string) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const modelJson = await get(spec.publicUrl + (spec.publicUrlQuery ?? ''));
  const shards = shardsOf(new TextDecoder().decode(modelJson));
  await writeFile(join(to, 'model.json'), modelJson);
  for (const shard of shards) await writeFile(join(to, shard), await get(publicFileUrl(spec, shard)));
  return `downloaded model.json and ${shards.length} shards from ${spec.publicUrl}`;
}

async function main() {
  const failures: string[] = [];
  for (const spec of BACKBONES as readonly BackboneSpec[]) {
    const to = join(target, spec.id);
    if (ifMissing && (await isComplete(to))) continue;
    if (spec.localCopy === 'if-in-models-dir') {
      const from = modelsDir && join(modelsDir, spec.sourceDir);
      if (!from || !(await isComplete(from))) {
        console.log(`models: ${spec.id}: not in MODELS_DIR; the app loads it from ${spec.publicUrl.replace(/\/model\.json$/, '')} when it can be reached`);
        continue;
      }
    }
    await mkdir(to, { recursive: true });
    try {
      const how = modelsDir ? await copyFromModelsDir(join(modelsDir, spec.sourceDir), to) : await download(spec, to);
      if (!(await isComplete(to))) throw new Error('a shard named in model.json is missing after the copy');
      console.log(`models: ${spec.id}: ${how}`);
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message) : String(error);
      if (!modelsDir && (await isComplete(to))) {
        console.log(`models: ${spec.id}: download failed (${cause}); keeping the complete copy already in ${to}`);
        continue;
      }
      failures.push(`${spec.id}: ${cause}`);
    }
  }
  if (failures.length > 0) {
    console.error(
      `models: could not fill public/models/:\n  ${failures.join('\n  ')}\n` +
        (modelsDir
          ? `Check that MODELS_DIR=${modelsDir} holds the model folders (${(BACKBONES as readonly BackboneSpec[]).filter((b) => b.localCopy !== 'if-in-models-dir').map((b) => b.sourceDir).join(', ')}).`
          : 'Without internet access, point MODELS_DIR at a folder holding the models, e.g. MODELS_DIR=../shared/models npm run models'),
    );
    process.exit(1);
  }
}

await main();
