import { useState } from 'react';
import { BackbonePicker } from '../backbone/BackbonePicker';
import { CompareBackbones } from '../backbone/CompareBackbones';
import { EngineStatusLine } from './EngineStatusLine';

const OPEN_KEY = 'transfer-studio:advanced-open';

/**
 * The expert's tools, one click away: the backbone (and custom backbones, and
 * Compare backbones) and
 * which compute backend runs the engine, with its measurements. Whoever opens
 * it keeps it open across visits.
 */
export function AdvancedPanel() {
  const [open, setOpen] = useState(() => localStorage.getItem(OPEN_KEY) === '1');
  return (
    <details
      className="advanced"
      open={open}
      onToggle={(e) => {
        const now = e.currentTarget.open;
        setOpen(now);
        localStorage.setItem(OPEN_KEY, now ? '1' : '0');
      }}
    >
      <summary>Advanced: backbone and compute engine</summary>
      <BackbonePicker />
      <CompareBackbones />
      <EngineStatusLine />
    </details>
  );
}
