import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { startEngine } from './state/actions';
import { restoreLastProject } from './state/persistence';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// The saved project first, so the engine loads that project's backbone.
void restoreLastProject().then(() => startEngine());
