import type { CSSProperties } from 'react';

/** The answer first: the most likely class and how sure the model is, in its class colour. */
export function Verdict({ label, probability, colour }: { label: string; probability: number; colour: string }) {
  const percent = Math.round(probability * 100);
  return (
    <p className="verdict" style={{ '--class-colour': colour } as CSSProperties}>
      <span className="verdict-swatch" aria-hidden="true" />
      {probability >= 0.6 ? (
        <>
          <strong className="verdict-label">{label}</strong> <span className="verdict-percent">{percent}%</span>
        </>
      ) : (
        <>
          Not sure: maybe <strong className="verdict-label">{label}</strong> <span className="verdict-percent">{percent}%</span>
        </>
      )}
    </p>
  );
}
