/**
 * Figures of `npm run bench`: per-run values reduced to median/min/max, the
 * nested JSON the issue asks for (`embed.ratio` → { embed: { ratio } }), and
 * the markdown table.
 */

export interface Target {
  /** 'min': the figure must be at least `value`; 'max': at most. */
  kind: 'min' | 'max';
  value: number;
}

export interface Figure {
  key: string;
  label: string;
  unit: string;
  values: number[];
  target?: Target;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarise(values: readonly number[]): Summary {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

export function meetsTarget(value: number, target: Target): boolean {
  return target.kind === 'min' ? value >= target.value : value <= target.value;
}

const round = (value: number) => (Number.isFinite(value) ? Number(value.toPrecision(4)) : value);

/** The median of every figure at its dotted key, plus `spread[key]` = min, max and the runs' values. */
export function figuresToJson(figures: readonly Figure[], header: Record<string, unknown>): Record<string, unknown> {
  const json: Record<string, unknown> = { ...header };
  const spread: Record<string, Summary & { values: number[] }> = {};
  for (const figure of figures) {
    const summary = summarise(figure.values);
    const path = figure.key.split('.');
    let node = json;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path.at(-1)!] = round(summary.median);
    spread[figure.key] = { median: round(summary.median), min: round(summary.min), max: round(summary.max), values: figure.values.map(round) };
  }
  json.spread = spread;
  return json;
}

export function markdownTable(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => {
    const { median, min, max } = summarise(figure.values);
    const target = figure.target ? `${figure.target.kind === 'min' ? '≥' : '≤'} ${figure.target.value}` : '';
    const verdict = figure.target ? (meetsTarget(median, figure.target) ? 'yes' : '**no**') : '';
    return `| ${figure.label} (\`${figure.key}\`) | ${round(median)} ${figure.unit} | ${round(min)} | ${round(max)} | ${target} | ${verdict} |`;
  });
  return ['| Figure | Median | Min | Max | Target | Met |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** Dotted keys whose value is missing or not a finite number. */
export function missingNumbers(json: Record<string, unknown>, keys: readonly string[]): string[] {
  return keys.filter((key) => {
    const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], json);
    return typeof value !== 'number' || !Number.isFinite(value);
  });
}

export const REQUIRED_KEYS = [
  'embed.imagesPerSecond',
  'embed.baselineImagesPerSecond',
  'embed.ratio',
  'train.seconds',
  'train.baselineSeconds',
  'train.ratio',
  'mainThread.longestTaskMs',
  'mainThread.totalBlockingMs',
  'mainThread.fps',
  'leaks.tensors',
  'startup.initialJsGzipKB',
  'startup.interactiveMs',
  'preview.predictionsPerSecond',
  'preview.ratio',
] as const;
