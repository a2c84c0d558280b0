import { accuracy, confusionMatrix, perClassAccuracy, perClassBinaryAccuracy, perClassPrecision } from '../ml/metrics';
import type { Split } from '../ml/split';
import type { ValidationReport } from './api';

/** The evaluation views' data for one run; null when nothing was held out. */
export function validationReportOf(
  ids: readonly string[],
  labels: readonly number[],
  split: Split,
  predictions: readonly number[],
  confidences: readonly number[],
  numClasses: number,
): ValidationReport | null {
  const actual = split.validation.map((i) => labels[i]);
  if (actual.length === 0) return null;
  const confusion = confusionMatrix(predictions, actual, numClasses);
  const misclassified = split.validation
    .map((row, i) => ({ sampleId: ids[row], actual: actual[i], predicted: predictions[i], confidence: confidences[i] }))
    .filter((m) => m.actual !== m.predicted)
    .sort((a, b) => b.confidence - a.confidence);
  return {
    accuracy: accuracy(predictions, actual),
    confusion,
    perClassAccuracy: perClassAccuracy(confusion),
    count: actual.length,
    precision: perClassPrecision(confusion),
    recall: perClassAccuracy(confusion),
    binaryAccuracy: perClassBinaryAccuracy(confusion),
    misclassified,
  };
}
