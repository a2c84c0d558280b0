/** Index of the largest value in each row of a row-major [rows × cols] array. */
export function argMaxRows(values: ArrayLike<number>, cols: number): number[] {
  const rows = values.length / cols;
  const out: number[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

export function accuracy(predicted: readonly number[], actual: readonly number[]): number {
  if (actual.length === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < actual.length; i++) if (predicted[i] === actual[i]) correct++;
  return correct / actual.length;
}

/** matrix[actual][predicted] = count. */
export function confusionMatrix(predicted: readonly number[], actual: readonly number[], numClasses: number): number[][] {
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < actual.length; i++) matrix[actual[i]][predicted[i]]++;
  return matrix;
}

/** Recall of each class (share of its samples predicted as it); NaN for a class with no samples. */
export function perClassAccuracy(matrix: readonly (readonly number[])[]): number[] {
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[i] / total;
  });
}
