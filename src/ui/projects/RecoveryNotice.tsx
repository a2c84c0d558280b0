import { dismissRecovery, exportDatasetOf, retryRecovery, useProjects } from '../../state/persistence';
import { useSession } from '../../state/session';

/**
 * Shown instead of a project that could not be opened (the tab died opening it, or
 * it failed): its name, that its images are still saved, and ways out.
 */
export function RecoveryNotice() {
  const recovery = useProjects((s) => s.recovery);
  const busy = useSession((s) => s.busy !== null);
  if (!recovery) return null;
  return (
    <section className="notice notice-warning recovery" role="alert" aria-label="Project not opened">
      <p>
        <strong>"{recovery.name}"</strong> ({recovery.images.toLocaleString('en')} images) was not opened: {recovery.reason} Its images are still saved in
        this browser.
      </p>
      <div className="row">
        <button type="button" disabled={busy} onClick={() => void exportDatasetOf(recovery.id)}>
          Export its images
        </button>
        <button type="button" onClick={() => void retryRecovery()}>
          Try opening it again
        </button>
        <button type="button" onClick={dismissRecovery}>
          Dismiss
        </button>
      </div>
    </section>
  );
}
