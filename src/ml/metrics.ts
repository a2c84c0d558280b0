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

/** Share of the samples predicted as each class that really are it; NaN when nothing was predicted as it. */
export function perClassPrecision(matrix: readonly (readonly number[])[]): number[] {
  return matrix.map((_, j) => {
    const predictedAsJ = matrix.reduce((sum, row) => sum + row[j], 0);
    return predictedAsJ === 0 ? NaN : matrix[j][j] / predictedAsJ;
  });
}

/** Recall is the share of a class's samples predicted as it (what perClassAccuracy has always reported). */
export const perClassRecall = perClassAccuracy;

/** One-vs-rest accuracy of each class: (true positives + true negatives) / all samples. */
export function perClassBinaryAccuracy(matrix: readonly (readonly number[])[]): number[] {
  const total = matrix.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  if (total === 0) return matrix.map(() => NaN);
  return matrix.map((row, i) => {
    const falseNegatives = row.reduce((a, b) => a + b, 0) - row[i];
    const falsePositives = matrix.reduce((sum, r) => sum + r[i], 0) - row[i];
    return (total - falseNegatives - falsePositives) / total;
  });
}
