import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const packageVersion = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version as string;

// Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer).
// Every asset is served same-origin, so require-corp costs nothing here.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The threaded WASM backend starts its pthread workers from `factory.toString()`.
 * After minification that source refers to the mangled name of a closure variable
 * (`_scriptDir`) which does not exist in those workers ("e is not defined").
 * Making it a global reference keeps its name through minification.
 */
function tfjsWasmThreadsSurviveMinify(): Plugin {
  return {
    name: 'tfjs-wasm-threads-survive-minify',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('tfjs-backend-wasm-threaded-simd.js')) return null;
      if (!code.includes('var _scriptDir =')) this.error('tfjs-backend-wasm changed: `var _scriptDir =` not found');
      return { code: code.replace('var _scriptDir =', 'globalThis._scriptDir ='), map: null };
    },
  };
}

export default defineConfig({
  plugins: [react(), tfjsWasmThreadsSurviveMinify()],
  define: { 'import.meta.env.PACKAGE_VERSION': JSON.stringify(packageVersion) },
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsSurviveMinify()] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, 'index.html'),
        harness: resolve(import.meta.dirname, 'bench/harness.html'),
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
} as import('vite').UserConfig);
