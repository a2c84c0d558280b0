import { ClassesPanel } from './ui/classes/ClassesPanel';
import { PageDropZone } from './ui/classes/PageDropZone';
import { Notices } from './ui/common/Notices';
import { ExportDialog } from './ui/export/ExportDialog';
import { PreviewStaleNotice, SkipLinks, StepBar, UndoToast } from './ui/guide/Guide';
import { TestImage } from './ui/preview/TestImage';
import { LivePreview } from './ui/preview/LivePreview';
import { TrainPanel } from './ui/training/TrainPanel';
import { ProjectName } from './ui/classes/ProjectName';
import { ImportProgress } from './ui/projects/ImportProgress';
import { ProjectsBar } from './ui/projects/ProjectsBar';
import { RecoveryNotice } from './ui/projects/RecoveryNotice';

/**
 * Three numbered steps, Collect → Train → Try it, with Export as the last
 * action. The header holds only the project; the expert's tools (backbone,
 * compute engine, settings beyond the basics, result details) are one click away.
 */
export function App() {
  return (
    <PageDropZone>
      <SkipLinks />
      <header className="app-header">
        <h1>Transfer Studio</h1>
        <ProjectName />
        <ProjectsBar />
      </header>
      <RecoveryNotice />
      <Notices />
      <ImportProgress />
      <main className="app-main">
        <ClassesPanel />
        <TrainPanel />
        <section className="panel step" id="step-try" tabIndex={-1} aria-labelledby="preview-title">
          <h2 id="preview-title">
            <span className="step-number" aria-hidden="true">3</span> Try it
          </h2>
          <PreviewStaleNotice />
          <TestImage />
          <LivePreview />
          <ExportDialog />
        </section>
      </main>
      <footer className="app-footer">Everything runs in this browser tab. Your images never leave your device.</footer>
      <UndoToast />
      <StepBar />
    </PageDropZone>
  );
}
