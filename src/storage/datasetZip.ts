/**
 * Dataset export for training elsewhere: an ImageFolder zip (`<class>/<file>`,
 * optionally under `train/` and `validation/`) that Keras
 * `image_dataset_from_directory` and torchvision `ImageFolder` read as is.
 */
import { zipSync, type Zippable } from 'fflate';
import { stratifiedSplit } from '../ml/split';
import { safeName, uniqueNamer } from './projectZip';

export interface DatasetClass {
  name: string;
  samples: { name: string; bytes: Uint8Array }[];
}

export interface DatasetOptions {
  /** Share of each class under `validation/`; 0 writes a flat `<class>/<file>` layout. */
  validationSplit: number;
  seed: number;
}

/** The path of every sample in the zip, in class order; exposed so tests and the UI agree on layout. */
export function datasetPaths(classes: { name: string; samples: { name: string }[] }[], options: DatasetOptions): string[][] {
  const labels = classes.flatMap((c, label) => c.samples.map(() => label));
  const split = options.validationSplit > 0 ? stratifiedSplit(labels, options.validationSplit, options.seed) : null;
  const inValidation = new Set(split?.validation ?? []);
  const folderName = uniqueNamer();
  let index = 0;
  return classes.map((c, classIndex) => {
    const folder = folderName(safeName(c.name, `class-${classIndex + 1}`));
    const names = { train: uniqueNamer(), validation: uniqueNamer() };
    return c.samples.map((s, i) => {
      const part = inValidation.has(index++) ? 'validation' : 'train';
      const file = names[part](safeName(s.name, `image-${i + 1}`));
      return split ? `${part}/${folder}/${file}` : `${folder}/${file}`;
    });
  });
}

/** The whole dataset zip in memory, for tests; the app streams it (engine/projectFiles). */
export function buildDatasetZip(classes: DatasetClass[], options: DatasetOptions): Uint8Array {
  const paths = datasetPaths(classes, options);
  const entries: Zippable = {};
  classes.forEach((c, ci) => c.samples.forEach((s, si) => (entries[paths[ci][si]] = [s.bytes, { level: 0 }])));
  return zipSync(entries);
}
