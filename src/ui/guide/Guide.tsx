import { useTrainState } from '../../state/guide';
import { undoLast, useUndo } from '../../state/undo';

/** Jumps for keyboard users, shown when focused: past the classes straight to Train, or to the Preview. */
export function SkipLinks() {
  const jump = (id: string) => (e: React.MouseEvent<HTMLAnchorElement>) => {
    const target = document.getElementById(id);
    if (!target) return;
    e.preventDefault();
    target.scrollIntoView({ block: 'center' });
    target.focus();
  };
  return (
    <nav className="skip-links" aria-label="Skip links">
      <a href="#train-button" className="skip-link" onClick={jump('train-button')}>
        Skip to Train
      </a>
      <a href="#preview-title" className="skip-link" onClick={jump('step-try')}>
        Skip to Preview
      </a>
    </nav>
  );
}

/** On phones: the three steps as a bar at the bottom of the screen, so Train and Try it are always in reach. */
export function StepBar() {
  const state = useTrainState();
  const go = (id: string) => (e: React.MouseEvent<HTMLAnchorElement>) => {
    e.preventDefault();
    document.getElementById(id)?.scrollIntoView({ block: 'start' });
  };
  return (
    <nav className="step-bar" aria-label="Steps">
      <a href="#step-collect" onClick={go('step-collect')}>
        <span aria-hidden="true">1</span> Collect
      </a>
      <a href="#step-train" onClick={go('step-train')} className={state.kind === 'stale' || state.kind === 'ready' ? 'attention' : undefined}>
        <span aria-hidden="true">2</span> Train
      </a>
      <a href="#step-try" onClick={go('step-try')}>
        <span aria-hidden="true">3</span> Try it
      </a>
    </nav>
  );
}

/** "Deleted …" with Undo, for the last deleted image or class. */
export function UndoToast() {
  const offer = useUndo((s) => s.offer);
  return (
    <div className="toast-region" role="status" aria-label="Undo">
      {offer && (
        <div className="toast" key={offer.id}>
          <span>{offer.text}</span>
          <button type="button" onClick={undoLast}>
            Undo
          </button>
        </div>
      )}
    </div>
  );
}

/** The preview's copy of the out-of-date notice: it still uses the model trained before the change. */
export function PreviewStaleNotice() {
  const state = useTrainState();
  const stale = state.kind === 'stale' || (state.kind === 'blocked' && state.text.startsWith('Out of date'));
  if (!stale) return null;
  return (
    <p className="stale-notice">
      {state.text.replace(/\. Train again\..*$/, '')}. The preview still uses the previous model.{' '}
      <a href="#train-button" className="inline-link" onClick={(e) => {
        e.preventDefault();
        document.getElementById('train-button')?.focus();
      }}>
        Train again
      </a>
    </p>
  );
}
