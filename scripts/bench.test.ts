/**
 * Smoke run of `npm run bench` at --quick sizes, so the harness cannot rot:
 * builds if needed, runs headless Chromium on WASM and checks that every
 * figure the issue names came out as a finite number.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { missingNumbers, REQUIRED_KEYS } from './benchReport';

const root = resolve(import.meta.dirname, '..');

describe('npm run bench --quick', () => {
  it('prints JSON with every required figure as a finite number', { timeout: 5 * 60_000 }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    try {
      const { stdout } = await promisify(execFile)(
        join(root, 'node_modules', '.bin', 'tsx'),
        ['scripts/bench.ts', '--quick', '--runs', '1', '--backend', 'wasm', '--json', '--port', '0', '--out-dir', outDir],
        { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 5 * 60_000 },
      );
      const json = JSON.parse(stdout) as Record<string, unknown>;
      expect(missingNumbers(json, REQUIRED_KEYS)).toEqual([]);
      expect(json.backend).toBe('wasm');
      expect(json.chromium).toMatch(/^\d+\./);
      expect(readdirSync(outDir)).toEqual([expect.stringMatching(/-wasm\.json$/)]);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
