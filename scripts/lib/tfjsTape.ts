/**
 * A build-time rewrite of tfjs-core's gradient tape filter (dist/tape.js,
 * getFilteredNodesXToY, run once per optimizer step). It walks each recorded
 * kernel's inputs with `for…in`, and kernels' input objects come in many
 * shapes. In Chromium 150, V8 optimised that function, met a shape it had not
 * seen, deoptimised ("wrong map") and optimised it again, over and over: 601
 * deoptimisations and 6.5 s of Maglev compiling on the renderer's thread pool
 * in one 1,000-image training (--trace-deopt, a trace). Walking
 * `Object.keys(inputs)` instead visits the same keys (inputs are plain objects
 * with no inherited enumerable keys) through one kind of array; that training's
 * "Trained in" went from 9.8–10.5 s to 7.1–7.4 s here. Applied in builds (the
 * app, its workers, the tests' preview); the dev server's pre-bundled
 * dependencies keep tfjs's own loop, which only trains slower.
 */
import type { Plugin } from 'vite';

const FOR_IN_INPUTS = /for \(const inputName in ([\w.]+)\)/g;
const LOOPS = 4;

export function tapeWithoutForIn(code: string): string {
  const found = [...code.matchAll(FOR_IN_INPUTS)].length;
  if (found !== LOOPS) throw new Error(`tfjs-core's tape.js changed: expected ${LOOPS} \`for (const inputName in …)\` loops, found ${found}`);
  return code.replace(FOR_IN_INPUTS, 'for (const inputName of Object.keys($1))');
}

export function tfjsTapeWithoutForIn(): Plugin {
  return {
    name: 'tfjs-tape-without-for-in',
    enforce: 'pre',
    transform(code, id) {
      if (!/@tensorflow[\\/]tfjs-core[\\/]dist[\\/]tape\.js$/.test(id.split('?')[0])) return null;
      return { code: tapeWithoutForIn(code), map: null };
    },
  };
}
