/**
 * The GPU benchmark's output: one markdown table with a column per backend, and
 * JSON whose top level has `npm run bench`'s keys for the first backend that ran
 * (WebGPU when an adapter was found), the others under `compared`.
 */
import { figuresToJson, meetsTarget, summarise } from '../../scripts/benchReport';
import { describeAdapter } from './dawn';
import type { BackendResult } from './run';

type Ran = Extract<BackendResult, { ok: true }>;

const round = (value: number) => (Number.isFinite(value) ? String(Number(value.toPrecision(4))) : '–');

export function columnName(result: Ran): string {
  return result.adapter ? `${result.backend}: ${describeAdapter(result.adapter)}` : `${result.backend}${result.detail ? ` (${result.detail})` : ''}`;
}

/** | Figure | backend 1 | backend 2 | Target | — medians, with the target verdict per backend. */
export function comparisonTable(results: Ran[]): string {
  // First backend's label per key, in first-seen order.
  const keys = [...new Map(results.flatMap((r) => r.figures.map((f) => [f.key, f] as const)).reverse()).values()].reverse();
  const header = `| Figure | ${results.map(columnName).join(' | ')} | Target |`;
  const rows = keys.map((figure) => {
    const cells = results.map((r) => {
      const own = r.figures.find((f) => f.key === figure.key);
      if (!own) return '–';
      const median = summarise(own.values).median;
      const verdict = own.target ? (meetsTarget(median, own.target) ? ' ✓' : ' ✗') : '';
      return `${round(median)} ${own.unit}${verdict}`.trim();
    });
    const target = figure.target ? `${figure.target.kind === 'min' ? '≥' : '≤'} ${figure.target.value}` : '';
    return `| ${figure.label} (\`${figure.key}\`) | ${cells.join(' | ')} | ${target} |`;
  });
  return [header, `|---|${results.map(() => '---|').join('')}---|`, ...rows].join('\n');
}

export function resultJson(result: Ran, header: Record<string, unknown>): Record<string, unknown> {
  return figuresToJson(result.figures, {
    backend: result.backend,
    adapter: result.adapter,
    detail: result.detail || undefined,
    ...header,
    notes: result.notes,
  });
}

/** The first backend's figures at the top level (npm run bench's shape), the rest under `compared`, and why any was skipped. */
export function combinedJson(results: BackendResult[], header: Record<string, unknown>): Record<string, unknown> {
  const ran = results.filter((r): r is Ran => r.ok);
  const skipped = results.filter((r): r is Extract<BackendResult, { ok: false }> => !r.ok).map(({ backend, reason }) => ({ backend, reason }));
  if (ran.length === 0) return { ...header, skipped };
  const [first, ...rest] = ran;
  return { ...resultJson(first, header), compared: rest.map((r) => resultJson(r, {})), skipped };
}
