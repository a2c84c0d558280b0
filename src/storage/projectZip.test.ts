import { describe, expect, it } from 'vitest';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { DEFAULT_TRAIN_SETTINGS } from '../ml/settings';
import { sniffImageKind } from '../engine/images';
import { buildProjectZip, isUnsafePath, parseProjectZip, ProjectFileRejected, PROJECT_FORMAT } from './projectZip';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png = (seed: number) => new Uint8Array([...PNG_HEAD, ...Array.from({ length: 40 }, (_, i) => (i * seed) % 256)]);
const isImage = (head: Uint8Array) => sniffImageKind(head) !== null;

const project = {
  name: 'Birds',
  backboneId: 'mobilenet_v2_035_224',
  settings: { ...DEFAULT_TRAIN_SETTINGS, epochs: 7 },
  classes: [
    { name: 'Blue tit', samples: [{ name: 'a.png', bytes: png(3) }, { name: 'a.png', bytes: png(5) }] },
    { name: '../Robin', samples: [{ name: '/etc/passwd.png', bytes: png(7) }] },
  ],
};

function zipWith(entries: Zippable): Uint8Array {
  return zipSync(entries);
}

function validJson(classes: unknown = [{ name: 'A', samples: [{ path: 'images/A/x.png', name: 'x.png' }] }], extra: object = {}) {
  return strToU8(JSON.stringify({ format: PROJECT_FORMAT, version: 1, name: 'P', backboneId: 'mobilenet_v2_035_224', settings: {}, classes, ...extra }));
}

function refusal(data: Uint8Array, maxUncompressedBytes?: number): string {
  try {
    parseProjectZip(data, { isImage, maxUncompressedBytes });
  } catch (error) {
    expect(error).toBeInstanceOf(ProjectFileRejected);
    return (error as Error).message;
  }
  throw new Error('the zip was accepted');
}

describe('project zip', () => {
  it('round-trips classes, names, settings and exact bytes, with safe unique paths', () => {
    const parsed = parseProjectZip(buildProjectZip(project), { isImage });
    expect(parsed.json.name).toBe('Birds');
    expect(parsed.json.settings.epochs).toBe(7);
    expect(parsed.json.classes.map((c) => c.name)).toEqual(['Blue tit', '../Robin']);
    const paths = parsed.json.classes.flatMap((c) => c.samples.map((s) => s.path));
    expect(new Set(paths).size).toBe(3);
    paths.forEach((p) => expect(isUnsafePath(p)).toBe(false));
    expect(parsed.json.classes[1].samples[0].name).toBe('/etc/passwd.png');
    parsed.json.classes.forEach((c, ci) => c.samples.forEach((s, si) => expect(parsed.files.get(s.path)).toEqual(project.classes[ci].samples[si].bytes)));
  });

  it('refuses files that are not zips', () => {
    expect(refusal(png(1))).toMatch(/not a zip/);
    expect(refusal(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]))).toMatch(/damaged/);
  });

  it('refuses path traversal and absolute paths in entries', () => {
    for (const name of ['../x.png', 'images/../../x.png', '/abs.png', 'C:/win.png', 'images\\..\\x.png']) {
      expect(refusal(zipWith({ 'project.json': validJson(), [name]: png(1) })), name).toMatch(/unsafe path/);
    }
  });

  it('refuses malformed and unknown-version project.json', () => {
    expect(refusal(zipWith({ 'images/A/x.png': png(1) }))).toMatch(/no project.json/);
    expect(refusal(zipWith({ 'project.json': strToU8('{nope'), 'images/A/x.png': png(1) }))).toMatch(/not valid JSON/);
    expect(refusal(zipWith({ 'project.json': validJson(undefined, { version: 2 }), 'images/A/x.png': png(1) }))).toMatch(/version 2/);
    expect(refusal(zipWith({ 'project.json': validJson(undefined, { format: 'other' }), 'images/A/x.png': png(1) }))).toMatch(/format/);
    expect(refusal(zipWith({ 'project.json': validJson(undefined, { backboneId: 'resnet' }), 'images/A/x.png': png(1) }))).toMatch(/backbone/);
    expect(refusal(zipWith({ 'project.json': validJson([{ name: '', samples: [] }]) }))).toMatch(/no name/);
    expect(refusal(zipWith({ 'project.json': validJson(undefined, { settings: { epochs: 'many' } }), 'images/A/x.png': png(1) }))).toMatch(/epochs/);
    expect(refusal(zipWith({ 'project.json': validJson() }))).toMatch(/missing/);
    expect(refusal(zipWith({ 'project.json': validJson([{ name: 'A', samples: [{ path: '../x.png', name: 'x' }] }]) }))).toMatch(/unsafe/);
  });

  it('refuses non-image entries and files project.json does not list', () => {
    expect(refusal(zipWith({ 'project.json': validJson(), 'images/A/x.png': strToU8('#!/bin/sh\nrm -rf /') }))).toMatch(/not an image/);
    expect(refusal(zipWith({ 'project.json': validJson(), 'images/A/x.png': png(1), 'images/A/y.png': png(2) }))).toMatch(/does not list/);
    expect(refusal(zipWith({ 'project.json': validJson(), 'images/A/x.png': png(1), 'run.exe': png(2) }))).toMatch(/not part of a project/);
  });

  it('refuses a zip whose declared uncompressed size is over the limit, before inflating', () => {
    const zip = zipWith({ 'project.json': validJson(), 'images/A/x.png': [new Uint8Array(5000).fill(1).map((v, i) => (i < 8 ? PNG_HEAD[i] : v)), { level: 9 }] });
    expect(refusal(zip, 4000)).toMatch(/more than 4 KB/);
    expect(parseProjectZip(zip, { isImage, maxUncompressedBytes: 10_000 }).files.size).toBe(1);
  });

  it('refuses a zip whose directory lies about sizes (a zip bomb in disguise)', () => {
    const zip = zipWith({ 'project.json': validJson(), 'images/A/x.png': [png(1), { level: 0 }] });
    // Patch the central directory's uncompressed size of the image entry to a smaller lie.
    const view = new DataView(zip.buffer);
    for (let at = zip.length - 22; at >= 0; at--) {
      if (view.getUint32(at, true) !== 0x02014b50) continue;
      const nameLength = view.getUint16(at + 28, true);
      const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength));
      if (name === 'images/A/x.png') view.setUint32(at + 24, 10, true);
    }
    expect(refusal(zip)).toMatch(/damaged/);
  });
});
