import { createRng, shuffleInPlace } from './random';

export interface Split {
  train: number[];
  validation: number[];
}

/** How many of a class's `count` samples are held out for validation. */
export function validationCount(count: number, fraction: number): number {
  if (fraction <= 0 || count === 0) return 0;
  return Math.max(1, Math.round(count * fraction));
}

/** Smallest class size that leaves at least one training and one validation sample. */
export function minimumPerClass(fraction: number): number {
  return fraction > 0 ? 2 : 1;
}

/**
 * Splits sample indices so that every class keeps the same share in validation
 * (stratified), which a plain random split does not guarantee for small classes.
 */
export function stratifiedSplit(labels: readonly number[], fraction: number, seed: number): Split {
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const list = byClass.get(label) ?? [];
    list.push(index);
    byClass.set(label, list);
  });
  const split: Split = { train: [], validation: [] };
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const indices = shuffleInPlace(byClass.get(label)!, rng);
    const nVal = Math.min(validationCount(indices.length, fraction), indices.length - 1);
    split.validation.push(...indices.slice(0, nVal));
    split.train.push(...indices.slice(nVal));
  }
  split.train.sort((a, b) => a - b);
  split.validation.sort((a, b) => a - b);
  return split;
}

export interface ClassCount {
  name: string;
  count: number;
}

/**
 * Why a training run cannot start, in words a user can act on; null when it can.
 * Checked before any work so that nothing is lost or half-done.
 */
export function trainingProblem(classes: readonly ClassCount[], fraction: number): string | null {
  const nonEmpty = classes.filter((c) => c.count > 0);
  if (nonEmpty.length < 2) {
    const empty = classes.filter((c) => c.count === 0).map((c) => `"${c.name}"`);
    return (
      `Training needs at least two classes with images; ${nonEmpty.length === 0 ? 'no class has' : 'only one class has'} any. ` +
      (empty.length > 0 ? `Add images to ${empty.join(' or ')}` : 'Add another class and give it images') +
      ' (drop files on its card or use its file picker).'
    );
  }
  const seen = new Map<string, string>();
  for (const c of nonEmpty) {
    const key = c.name.trim().toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) return `Two classes are both named "${first}"; rename one so the model's labels can tell them apart.`;
    seen.set(key, c.name.trim());
  }
  const min = minimumPerClass(fraction);
  const small = classes.filter((c) => c.count > 0 && c.count < min);
  if (small.length > 0) {
    const names = small.map((c) => `"${c.name}" (${c.count})`).join(', ');
    return (
      `Each class needs at least ${min} images so that one can be held out for validation; ` +
      `${names} ${small.length === 1 ? 'has' : 'have'} fewer. Add more images, or set the validation split to 0%.`
    );
  }
  return null;
}
