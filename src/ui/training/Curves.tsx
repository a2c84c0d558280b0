import type { EpochLogs } from '../../engine/api';

const WIDTH = 280;
const HEIGHT = 90;

type Series = { key: keyof EpochLogs; label: string; className: string };

const LOSS: Series[] = [
  { key: 'loss', label: 'loss', className: 'train' },
  { key: 'valLoss', label: 'val loss', className: 'val' },
];
const ACCURACY: Series[] = [
  { key: 'accuracy', label: 'accuracy', className: 'train' },
  { key: 'valAccuracy', label: 'val accuracy', className: 'val' },
];

/** Loss and accuracy per epoch, drawn as they stream in. */
export function Curves({ history }: { history: EpochLogs[] }) {
  return (
    <div className="curves">
      <Chart title="Loss" history={history} series={LOSS} />
      <Chart title="Accuracy" history={history} series={ACCURACY} fixedMax={1} />
    </div>
  );
}

function Chart({ title, history, series, fixedMax }: { title: string; history: EpochLogs[]; series: Series[]; fixedMax?: number }) {
  const epochs = history[0]?.epochs ?? 1;
  const values = series.flatMap((s) => history.map((h) => h[s.key]).filter((v): v is number => typeof v === 'number'));
  const max = fixedMax ?? Math.max(1e-6, ...values);
  const x = (epoch: number) => (epochs <= 1 ? 0 : ((epoch - 1) / (epochs - 1)) * WIDTH);
  const y = (v: number) => HEIGHT - (v / max) * HEIGHT;
  return (
    <figure className="chart">
      <figcaption>
        {title}{' '}
        {series.map((s) => (
          <span key={s.key} className={`legend ${s.className}`}>
            {s.label}
          </span>
        ))}
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-label={`${title} per epoch`}>
        {series.map((s) => (
          <polyline
            key={s.key}
            className={s.className}
            fill="none"
            points={history
              .filter((h) => typeof h[s.key] === 'number')
              .map((h) => `${x(h.epoch).toFixed(1)},${y(h[s.key] as number).toFixed(1)}`)
              .join(' ')}
          />
        ))}
      </svg>
    </figure>
  );
}
