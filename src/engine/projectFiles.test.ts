import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
import { sniffImageKind } from './images';
import { buildProjectZip, parseProjectZip, projectLayout, ProjectFileRejected, PROJECT_FORMAT } from '../storage/projectZip';
import { buildDatasetZip, datasetPaths } from '../storage/datasetZip';
import { openStudioDb } from '../storage/db';
import { EXPORT_PAGE, readProjectZipFile, storedSampleBytes, writeDatasetZip, writeProjectZip } from './projectFiles';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png = (seed: number, length = 40) => new Uint8Array([...PNG_HEAD, ...Array.from({ length }, (_, i) => (i * seed + seed) % 256)]);
const isImage = (head: Uint8Array) => sniffImageKind(head) !== null;
const bytes = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

/** A project of `perClass` images in each named class, with its bytes by sample id. */
function project(classNames: string[], perClass: number, extra: Partial<Parameters<typeof writeProjectZip>[0]> = {}) {
  const stored = new Map<string, Uint8Array>();
  const classes = classNames.map((name, ci) => ({
    name,
    samples: Array.from({ length: perClass }, (_, i) => {
      const id = `${ci}-${i}`;
      stored.set(id, png(ci * 1000 + i + 1));
      // Same file name twice in a class: the layout makes the paths distinct.
      return { id, name: i === 1 ? 'img-0.png' : `img-${i}.png` };
    }),
  }));
  const request: Parameters<typeof writeProjectZip>[0] = { name: 'Birds', backboneId: 'mobilenet_v2_035_224', settings: { ...DEFAULT_TRAIN_SETTINGS, epochs: 7 }, classes, ...extra };
  const pages: number[] = [];
  const read = async (ids: string[]) => {
    pages.push(ids.length);
    return ids.map((id) => (stored.has(id) ? new Blob([stored.get(id)! as Uint8Array<ArrayBuffer>]) : undefined));
  };
  return { request, stored, read, pages };
}

async function refusal(data: Uint8Array, maxUncompressedBytes?: number): Promise<string> {
  try {
    await readProjectZipFile(new Blob([data as Uint8Array<ArrayBuffer>]), { isImage, maxUncompressedBytes });
  } catch (error) {
    expect(error).toBeInstanceOf(ProjectFileRejected);
    return (error as Error).message;
  }
  throw new Error('the zip was accepted');
}

function validJson(classes: unknown = [{ name: 'A', samples: [{ path: 'images/A/x.png', name: 'x.png' }] }], extra: object = {}) {
  return strToU8(JSON.stringify({ format: PROJECT_FORMAT, version: 1, name: 'P', backboneId: 'mobilenet_v2_035_224', settings: {}, classes, ...extra }));
}

describe('streaming project zip writer', () => {
  it('writes the same layout as the in-memory zip, reading samples a page at a time', async () => {
    const { request, stored, read, pages } = project(['Blue tit', '../Robin', 'Wren'], 50);
    const progress: number[] = [];
    const blob = await writeProjectZip(request, { read, onProgress: (done) => progress.push(done) });
    expect(blob.type).toBe('application/zip');
    // 150 samples in pages of at most EXPORT_PAGE, never all at once.
    expect(Math.max(...pages)).toBe(EXPORT_PAGE);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(150);
    expect(progress.at(-1)).toBe(150);

    const parsed = parseProjectZip(await bytes(blob), { isImage });
    expect(parsed.json).toEqual(projectLayout(request).json);
    expect(parsed.json.settings.epochs).toBe(7);
    parsed.json.classes.forEach((c, ci) => c.samples.forEach((s, si) => expect(parsed.files.get(s.path)).toEqual(stored.get(request.classes[ci].samples[si].id))));
    // Images are stored, not deflated: the zip is about as large as the images.
    const imageBytes = [...stored.values()].reduce((n, b) => n + b.length, 0);
    expect(blob.size).toBeLessThan(imageBytes + 150 * 200 + 10_000);
  });

  it('names a sample that is missing from storage', async () => {
    const { request, read } = project(['A'], 3);
    request.classes[0].samples[2] = { id: 'gone', name: 'lost.png' };
    await expect(writeProjectZip(request, { read })).rejects.toThrow(/"lost.png" is missing from storage/);
  });

  it("carries a custom backbone's files under backbone/ and its choice in project.json", async () => {
    const { request, read } = project(['A'], 2, {
      backboneId: 'custom:ab12cd34:features:teachable-machine',
      customBackbone: { title: 'dropped model', source: { files: [{ name: 'model.json' }, { name: 'weights.bin' }] } },
    });
    const modelJson = strToU8('{"format":"layers-model"}');
    const weights = new Uint8Array([1, 2, 3, 4]);
    const blob = await writeProjectZip(request, { read, backboneFiles: [new Blob([modelJson]), new Blob([weights])] });
    const files = unzipSync(await bytes(blob));
    expect(files['backbone/model.json']).toEqual(modelJson);
    expect(files['backbone/weights.bin']).toEqual(weights);
    const json = JSON.parse(strFromU8(files['project.json']));
    expect(json.customBackbone).toEqual({
      title: 'dropped model',
      source: { files: [{ name: 'model.json', path: 'backbone/model.json' }, { name: 'weights.bin', path: 'backbone/weights.bin' }] },
    });

    const read2 = await readProjectZipFile(blob, { isImage });
    expect(read2.json.backboneId).toBe('custom:ab12cd34:features:teachable-machine');
    expect(await bytes(await read2.file('backbone/weights.bin'))).toEqual(weights);
    await expect(writeProjectZip(request, { read, backboneFiles: [] })).rejects.toThrow(/not all available/);
  });

  it('writes the dataset zip with the same paths and bytes as the in-memory one, flat or split', async () => {
    const { request, stored, read } = project(['Stripes', 'Checks'], 10);
    for (const validationSplit of [0, 0.2]) {
      const options = { validationSplit, seed: 3 };
      const streamed = unzipSync(await bytes(await writeDatasetZip({ classes: request.classes, ...options }, { read })));
      const inMemory = unzipSync(buildDatasetZip(request.classes.map((c) => ({ name: c.name, samples: c.samples.map((s) => ({ name: s.name, bytes: stored.get(s.id)! })) })), options));
      expect(streamed).toEqual(inMemory);
      expect(Object.keys(streamed).sort()).toEqual(datasetPaths(request.classes, options).flat().sort());
    }
  });

  it('reads sample bytes from IndexedDB by id', async () => {
    const db = await openStudioDb();
    const sample = (id: string, seed: number) => ({ id, projectId: 'p', name: `${id}.png`, bytes: new Blob([png(seed) as Uint8Array<ArrayBuffer>]), thumbnail: new Blob([]), width: 1, height: 1 });
    await db.put('samples', sample('s1', 1));
    await db.put('samples', sample('s2', 2));
    const read = await storedSampleBytes(['s2', 'missing', 's1']);
    expect(read[1]).toBeUndefined();
    expect(await bytes(read[0]!)).toEqual(png(2));
    expect(await bytes(read[2]!)).toEqual(png(1));
  });
});

describe('streaming project zip reader', () => {
  it('reads a written project back: names, settings and exact bytes', async () => {
    const { request, stored, read } = project(['Blue tit', '../Robin'], 70);
    const contents = await readProjectZipFile(await writeProjectZip(request, { read }), { isImage });
    expect(contents.json).toEqual(projectLayout(request).json);
    for (const [ci, c] of contents.json.classes.entries()) {
      for (const [si, s] of c.samples.entries()) expect(await bytes(await contents.file(s.path))).toEqual(stored.get(request.classes[ci].samples[si].id));
    }
  });

  it('reads zips made by other tools: deflated entries, folder entries, non-ASCII names', async () => {
    const entries: Zippable = {
      'images/': new Uint8Array(0),
      'images/Café/': new Uint8Array(0),
      'images/Café/x.png': [png(9, 5000), { level: 9 }],
      'project.json': validJson([{ name: 'Café', samples: [{ path: 'images/Café/x.png', name: 'x.png' }] }]),
    };
    const contents = await readProjectZipFile(new Blob([zipSync(entries)]), { isImage });
    expect(contents.json.classes[0].name).toBe('Café');
    expect(await bytes(await contents.file('images/Café/x.png'))).toEqual(png(9, 5000));
    await expect(contents.file('project.json')).rejects.toThrow(/not listed/);
  });

  it('accepts what the in-memory reader accepts, for the in-memory writer\'s zips', async () => {
    const zip = buildProjectZip({
      name: 'P',
      backboneId: 'mobilenet_v2_035_224',
      settings: DEFAULT_TRAIN_SETTINGS,
      classes: [{ name: 'A', samples: [{ name: 'a.png', bytes: png(1) }] }],
    });
    const contents = await readProjectZipFile(new Blob([zip as Uint8Array<ArrayBuffer>]), { isImage });
    expect(contents.json).toEqual(parseProjectZip(zip, { isImage }).json);
  });

  it('refuses what the in-memory reader refuses, with the same messages', async () => {
    const cases: [Uint8Array, RegExp][] = [
      [png(1), /not a zip/],
      [new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), /damaged/],
      ...['../x.png', 'images/../../x.png', '/abs.png', 'C:/win.png', 'images\\..\\x.png'].map(
        (name): [Uint8Array, RegExp] => [zipSync({ 'project.json': validJson(), [name]: png(1) }), /unsafe path/],
      ),
      [zipSync({ 'images/A/x.png': png(1) }), /no project.json/],
      [zipSync({ 'project.json': strToU8('{nope'), 'images/A/x.png': png(1) }), /not valid JSON/],
      [zipSync({ 'project.json': validJson(undefined, { version: 2 }), 'images/A/x.png': png(1) }), /version 2/],
      [zipSync({ 'project.json': validJson(undefined, { backboneId: 'resnet' }), 'images/A/x.png': png(1) }), /backbone/],
      [zipSync({ 'project.json': validJson(undefined, { settings: { epochs: 'many' } }), 'images/A/x.png': png(1) }), /epochs/],
      [zipSync({ 'project.json': validJson() }), /missing/],
      [zipSync({ 'project.json': validJson(), 'images/A/x.png': strToU8('#!/bin/sh\nrm -rf /') }), /not an image/],
      [zipSync({ 'project.json': validJson(), 'images/A/x.png': png(1), 'images/A/y.png': png(2) }), /does not list/],
      [zipSync({ 'project.json': validJson(), 'images/A/x.png': png(1), 'run.exe': png(2) }), /not part of a project/],
      // A custom backbone must say where its model is, and its files must be there and listed.
      [zipSync({ 'project.json': validJson(undefined, { backboneId: 'custom:ab12:features:unit' }), 'images/A/x.png': png(1) }), /custom backbone is not described/],
      [
        zipSync({ 'project.json': validJson(undefined, { backboneId: 'custom:ab12:f:unit', customBackbone: { title: 't', source: { url: 'file:///etc/passwd' } } }), 'images/A/x.png': png(1) }),
        /not a web address/,
      ],
      [
        zipSync({
          'project.json': validJson(undefined, { backboneId: 'custom:ab12:f:unit', customBackbone: { title: 't', source: { files: [{ name: 'model.json', path: 'backbone/model.json' }] } } }),
          'images/A/x.png': png(1),
        }),
        /backbone\/model.json", which is missing/,
      ],
      [zipSync({ 'project.json': validJson(), 'images/A/x.png': png(1), 'backbone/evil.js': strToU8('x') }), /does not list/],
    ];
    for (const [zip, reason] of cases) {
      expect(await refusal(zip), String(reason)).toMatch(reason);
      // Both readers agree.
      expect(() => parseProjectZip(zip, { isImage }), String(reason)).toThrow(reason);
    }
  });

  it('refuses a declared size over the limit from the directory, and a directory that lies about sizes', async () => {
    const big = new Uint8Array(5000).fill(1).map((v, i) => (i < 8 ? PNG_HEAD[i] : v));
    const zip = zipSync({ 'project.json': validJson(), 'images/A/x.png': [big, { level: 9 }] });
    expect(await refusal(zip, 4000)).toMatch(/more than 4 KB/);
    expect((await readProjectZipFile(new Blob([zip]), { isImage, maxUncompressedBytes: 10_000 })).json.classes).toHaveLength(1);

    for (const [level, lie] of [[0, 10], [9, 10], [9, 100_000]] as const) {
      const lying = zipSync({ 'project.json': validJson(), 'images/A/x.png': [level === 0 ? png(1) : big, { level }] });
      const view = new DataView(lying.buffer);
      for (let at = lying.length - 22; at >= 0; at--) {
        if (view.getUint32(at, true) !== 0x02014b50) continue;
        const name = strFromU8(lying.subarray(at + 46, at + 46 + view.getUint16(at + 28, true)));
        if (name === 'images/A/x.png') view.setUint32(at + 24, lie, true);
      }
      expect(await refusal(lying), `level ${level}, declared ${lie}`).toMatch(/damaged/);
    }
  });
});
