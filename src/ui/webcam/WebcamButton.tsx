import { useState } from 'react';
import { CapturePanel } from './CapturePanel';

/** Opens the capture panel for one class; the camera runs only while it is open. */
export function WebcamButton({ classId }: { classId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Webcam
      </button>
      {open && <CapturePanel classId={classId} onClose={() => setOpen(false)} />}
    </>
  );
}
