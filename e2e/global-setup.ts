import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKBONES, type BackboneSpec } from '../src/ml/backbones';
import { hugePng } from './fixtures';

/** The e2e tests use the real weights; say clearly how to get them when they are missing. */
export default function globalSetup() {
  // Package models other than V1 0.25 are loaded from their public URLs when not copied (and shown unavailable offline).
  const missing = (BACKBONES as readonly BackboneSpec[]).filter((b) => {
    if (b.localCopy === 'if-in-models-dir') return false;
    const json = join('public', 'models', b.id, 'model.json');
    if (!existsSync(json)) return true;
    const manifest = JSON.parse(readFileSync(json, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    return manifest.weightsManifest.some((g) => g.paths.some((p) => !existsSync(join('public', 'models', b.id, p))));
  });
  if (missing.length > 0) {
    throw new Error(
      `Model weights are missing in public/models/ (${missing.map((b) => b.id).join(', ')}). ` +
        'Run `npm run models` (downloads them) or `MODELS_DIR=../shared/models npm run models` (copies them).',
    );
  }
  hugePng(join('e2e', '.fixtures'));
}
