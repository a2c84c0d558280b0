import { BackbonePicker } from './ui/backbone/BackbonePicker';
import { CompareBackbones } from './ui/backbone/CompareBackbones';
import { ClassesPanel } from './ui/classes/ClassesPanel';
import { PageDropZone } from './ui/classes/PageDropZone';
import { Notices } from './ui/common/Notices';
import { DownloadModel } from './ui/export/DownloadModel';
import { TestImage } from './ui/preview/TestImage';
import { LivePreview } from './ui/preview/LivePreview';
import { EngineStatusLine } from './ui/training/EngineStatusLine';
import { TrainPanel } from './ui/training/TrainPanel';
import { ProjectName } from './ui/classes/ProjectName';
import { ImportProgress } from './ui/projects/ImportProgress';
import { ProjectFiles } from './ui/projects/ProjectFiles';
import { ProjectsBar } from './ui/projects/ProjectsBar';
import { RecoveryNotice } from './ui/projects/RecoveryNotice';

export function App() {
  return (
    <PageDropZone>
      <header className="app-header">
        <h1>Transfer Studio</h1>
        <ProjectName />
        <BackbonePicker />
        <EngineStatusLine />
        <ProjectsBar />
      </header>
      <RecoveryNotice />
      <CompareBackbones />
      <Notices />
      <ImportProgress />
      <main className="app-main">
        <ClassesPanel />
        <TrainPanel />
        <section className="panel" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <TestImage />
          <LivePreview />
          <DownloadModel />
          <ProjectFiles />
        </section>
      </main>
      <footer className="app-footer">Everything runs in this browser tab. Your images never leave your device.</footer>
    </PageDropZone>
  );
}
