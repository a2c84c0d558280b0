import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EpochLogs } from '../../engine/api';

const WIDTH = 300;
const HEIGHT = 140;
const TRAIN_COLOUR = '#1a73e8';
const VALIDATION_COLOUR = '#e8710a';

type Key = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy';

/** Loss and accuracy per epoch for training and validation, updated live as epochs stream in (uPlot). */
export function CurveCharts({ history }: { history: EpochLogs[] }) {
  return (
    <div className="curves">
      <Chart title="Loss" history={history} train="loss" validation="valLoss" />
      <Chart title="Accuracy" history={history} train="accuracy" validation="valAccuracy" range={[0, 1]} />
    </div>
  );
}

function chartData(history: EpochLogs[], train: Key, validation: Key): uPlot.AlignedData {
  return [history.map((h) => h.epoch), history.map((h) => h[train]), history.map((h) => h[validation])];
}

function Chart({
  title,
  history,
  train,
  validation,
  range,
}: {
  title: string;
  history: EpochLogs[];
  train: Key;
  validation: Key;
  range?: [number, number];
}) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const options: uPlot.Options = {
      width: WIDTH,
      height: HEIGHT,
      // Values only while the cursor is over the chart would read "--" otherwise: the legend names the series only.
      legend: { show: true, live: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: { x: { time: false }, y: range ? { range } : { auto: true } },
      axes: [{ label: 'epoch', size: 30 }, { size: 40 }],
      series: [
        { label: 'epoch' },
        { label: 'train', stroke: TRAIN_COLOUR, width: 1.5 },
        { label: 'validation', stroke: VALIDATION_COLOUR, width: 1.5 },
      ],
    };
    plot.current = new uPlot(options, [[], [], []], container.current!);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // The chart is built once; data updates go through setData below.
  }, []);

  useEffect(() => {
    plot.current?.setData(chartData(history, train, validation));
  }, [history, train, validation]);

  return (
    <figure className="chart" aria-label={`${title} per epoch`} data-epochs={history.length}>
      <figcaption>{title}</figcaption>
      <div ref={container} />
    </figure>
  );
}
