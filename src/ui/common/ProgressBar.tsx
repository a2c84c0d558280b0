interface Props {
  label: string;
  value: number;
  max: number;
  text?: string;
}

/** A labelled progressbar that screen readers and tests can read. */
export function ProgressBar({ label, value, max, text }: Props) {
  const percent = max > 0 ? Math.round((value / max) * 100) : 0;
  return (
    <div className="progress">
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={value}
        aria-valuetext={text ?? `${percent}%`}
        className="progress-track"
      >
        <div className="progress-fill" style={{ transform: `scaleX(${percent / 100})` }} />
      </div>
      <span className="progress-text">{text ?? `${label}: ${percent}%`}</span>
    </div>
  );
}
