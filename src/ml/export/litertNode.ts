/**
 * LiteRT.js (the official TFLite runtime for JavaScript) in Node, for the unit
 * tests. LiteRT.js loads its Emscripten build with a <script> tag or, in a
 * worker, importScripts; that build also runs under Node when it finds
 * `require`. This defines importScripts so it does, and nothing else.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { loadLiteRt } from '@litertjs/core';

let loading: Promise<unknown> | null = null;

export function loadLiteRtInNode(): Promise<unknown> {
  const scope = globalThis as unknown as Record<string, unknown>;
  scope.self ??= globalThis;
  scope.importScripts ??= (file: string) => {
    scope.require = createRequire(file);
    scope.__dirname = path.dirname(file);
    vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
  };
  loading ??= loadLiteRt(path.resolve('node_modules/@litertjs/core/wasm') + '/');
  return loading;
}
