import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tapeWithoutForIn } from './tfjsTape';

const tapeSource = () => {
  const core = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json'));
  return readFileSync(join(core, 'dist', 'tape.js'), 'utf8');
};

describe('tapeWithoutForIn', () => {
  it("walks every kernel's inputs through Object.keys in the installed tfjs-core", () => {
    const patched = tapeWithoutForIn(tapeSource());
    expect(patched).not.toMatch(/for \(const inputName in /);
    expect(patched.match(/for \(const inputName of Object\.keys\([\w.]+\)\)/g)).toHaveLength(4);
  });

  it('refuses a tape.js it does not know, so a tfjs upgrade cannot silently drop the fix', () => {
    expect(() => tapeWithoutForIn('export function getFilteredNodesXToY() {}')).toThrow(/tape\.js changed/);
  });
});
