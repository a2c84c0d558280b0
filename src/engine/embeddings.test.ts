import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapBackbone } from '../ml/backbone';
import { TINY_SPEC, tinyBackboneModel } from '../ml/testing';
import { EmbeddingTable, Embeddings, embedPixels, type EmbeddingStatus } from './embeddings';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Pixels that differ per image: a flat colour taken from the image's "bytes" (its text). */
async function pixelsOf(blob: Blob, size: number): Promise<Uint8ClampedArray> {
  const value = Number(await blob.text()) % 256;
  return new Uint8ClampedArray(size * size * 4).fill(value);
}

describe('EmbeddingTable', () => {
  it('packs rows into one growing array and returns them in any order', () => {
    const table = new EmbeddingTable(2, 1);
    table.set(['a'], new Float32Array([1, 2]));
    table.set(['b', 'c'], new Float32Array([3, 4, 5, 6]));
    table.set(['a'], new Float32Array([7, 8]));
    expect(table.size).toBe(3);
    expect([...table.matrix(['c', 'a'])]).toEqual([5, 6, 7, 8]);
    table.delete('b');
    expect(table.has('b')).toBe(false);
    expect(() => table.matrix(['b'])).toThrow(/No embedding/);
    expect(() => table.set(['x'], new Float32Array(3))).toThrow(/Expected 1 × 2/);
  });
});

describe('Embeddings', () => {
  const backbone = wrapBackbone(TINY_SPEC, tinyBackboneModel(), 'memory');
  afterAll(() => backbone.dispose());

  function setup(sampleIds: string[]) {
    const stored = new Map<string, { ids: string[]; vectors: Float32Array }[]>();
    const bytesRead: string[][] = [];
    const statuses: EmbeddingStatus[] = [];
    const ids = [...sampleIds];
    const embeddings = new Embeddings({
      store: {
        read: async (projectId, backboneId, visit) => (stored.get(`${projectId}|${backboneId}`) ?? []).forEach((b) => visit(b.ids, b.vectors)),
        save: async (projectId, backboneId, sampleIds, vectors) => {
          const key = `${projectId}|${backboneId}`;
          stored.set(key, [...(stored.get(key) ?? []), { ids: sampleIds, vectors }]);
        },
      },
      bytes: async (wanted) => {
        bytesRead.push(wanted);
        return wanted.map((id) => (ids.includes(id) ? new Blob([id.replace(/\D/g, '')]) : undefined));
      },
      pixels: pixelsOf,
      project: () => ({ id: 'p', sampleIds: () => ids }),
      backbone: async () => backbone,
      onStatus: (status) => statuses.push(status),
    });
    return { embeddings, stored, bytesRead, statuses, ids };
  }

  async function expected(id: string): Promise<number[]> {
    return [...(await embedPixels(backbone, [await pixelsOf(new Blob([id.replace(/\D/g, '')]), TINY_SPEC.inputSize)]))];
  }

  it('embeds only what is missing, reading bytes in batches, and stores the result packed', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const { embeddings, stored, bytesRead } = setup(ids);
    const before = tf.memory().numTensors;
    expect(await embeddings.embedMissing(backbone, ids, new AbortController().signal)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(bytesRead.map((batch) => batch.length)).toEqual([8, 8, 4]);
    const table = await embeddings.table(TINY_SPEC);
    const row7 = [...table.matrix(['s7'])];
    (await expected('s7')).forEach((v, i) => expect(row7[i]).toBeCloseTo(v, 5));
    expect(stored.get('p|tiny')!.map((b) => b.ids.length)).toEqual([8, 8, 4]);

    // Asked again: nothing to read or embed.
    bytesRead.length = 0;
    expect(await embeddings.embedMissing(backbone, ids, new AbortController().signal)).toBe(true);
    expect(bytesRead).toEqual([]);
  });

  it('a project opened again reads its stored embeddings instead of embedding', async () => {
    const ids = ['s1', 's2', 's3'];
    const first = setup(ids);
    await first.embeddings.embedMissing(backbone, ids, new AbortController().signal);
    const again = setup(ids);
    // The same store, as after a reload.
    (again.embeddings as unknown as { deps: { store: unknown } }).deps.store = (first.embeddings as unknown as { deps: { store: unknown } }).deps.store;
    await again.embeddings.embedMissing(backbone, ids, new AbortController().signal);
    expect(again.bytesRead).toEqual([]);
  });

  it('stops between batches when its signal is aborted', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);
    const { embeddings } = setup(ids);
    const controller = new AbortController();
    let batches = 0;
    const finished = await embeddings.embedMissing(backbone, ids, controller.signal, (progress) => {
      if (progress.done > 0 && ++batches === 1) controller.abort();
    });
    expect(finished).toBe(false);
    expect((await embeddings.table(TINY_SPEC)).size).toBe(8);
  });

  it('embeds in the background: images decoded at import are not decoded again, the rest are read from storage', async () => {
    const { embeddings, bytesRead, statuses, ids } = setup(['s1', 's2']);
    await embeddings.embedInBackground(TINY_SPEC);
    expect(embeddings.backgroundInputSize()).toBe(TINY_SPEC.inputSize);
    // Two images arrive by import, already decoded.
    ids.push('s3', 's4');
    const decoded = await Promise.all(['s3', 's4'].map(async (id) => ({ id, pixels: await pixelsOf(new Blob([id.slice(1)]), TINY_SPEC.inputSize) })));
    await embeddings.queueImported(decoded);
    await expect.poll(() => statuses.at(-1), { timeout: 5000 }).toEqual({ backboneId: 'tiny', embedded: 4, total: 4 });
    expect(bytesRead.flat().sort()).toEqual(['s1', 's2']);
    const table = await embeddings.table(TINY_SPEC);
    const row = [...table.matrix(['s4'])];
    (await expected('s4')).forEach((v, i) => expect(row[i]).toBeCloseTo(v, 5));
  });

  it('when training embeds what the paused background embedder had queued, the page hears that all are prepared', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const { embeddings, statuses } = setup(ids);
    let paused = true;
    (embeddings as unknown as { deps: { paused: () => boolean } }).deps.paused = () => paused;
    await embeddings.embedInBackground(TINY_SPEC);
    expect(statuses.at(-1)).toEqual({ backboneId: 'tiny', embedded: 0, total: 12 });
    expect(await embeddings.embedMissing(backbone, ids, new AbortController().signal)).toBe(true);
    expect(statuses.at(-1)).toEqual({ backboneId: 'tiny', embedded: 12, total: 12 });
    paused = false;
  });
});
