import { lazy, Suspense } from 'react';
import type { EpochLogs } from '../../engine/api';

/** The charts' code (uPlot, about 50 KB) loads when curves are first shown, not with the page. */
const CurveCharts = lazy(() => import('./CurveCharts').then((module) => ({ default: module.CurveCharts })));

/** Loss and accuracy per epoch (see CurveCharts); the space they take is kept while their code loads. */
export function Curves({ history }: { history: EpochLogs[] }) {
  return (
    <Suspense fallback={<div className="curves curves-loading" aria-busy="true" />}>
      <CurveCharts history={history} />
    </Suspense>
  );
}
