import { useEffect, useRef, useState } from 'react';
import { addCapturedFrames } from '../../state/capture';
import { useProject } from '../../state/project';
import { FrameTicker, grabSquare, hasFrame } from '../../webcam/frames';
import { useCamera } from '../../webcam/useCamera';
import { CameraView } from './CameraView';

export const DEFAULT_CAPTURE_RATE = 10;
const MAX_CAPTURE_RATE = 30;

interface Props {
  classId: string;
  onClose(): void;
}

/**
 * Records webcam frames into one class: held button (pointer or Space/Enter)
 * at a chosen rate, or single shots. Frames go to the engine in batches while
 * recording, so the class grid fills in live; closing stops the camera.
 */
export function CapturePanel({ classId, onClose }: Props) {
  const info = useProject((s) => s.classes.find((c) => c.id === classId));
  const dialogRef = useRef<HTMLDialogElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const [deviceId, setDeviceId] = useState<string | null>(null);
  const [mirror, setMirror] = useState(true);
  const [rate, setRate] = useState(DEFAULT_CAPTURE_RATE);
  const [recording, setRecording] = useState(false);
  const [lastTake, setLastTake] = useState<{ frames: number; seconds: number } | null>(null);
  const camera = useCamera(true, deviceId);
  const uploader = useRef<FrameUploader | null>(null);
  uploader.current ??= new FrameUploader(classId);
  const ticker = useRef<FrameTicker | null>(null);
  ticker.current ??= new FrameTicker(() => void uploader.current!.grab(videoRef.current));

  useEffect(() => {
    dialogRef.current?.showModal();
    return () => void ticker.current?.stop();
  }, []);

  const startRecording = () => {
    if (!camera.stream || ticker.current!.running) return;
    uploader.current!.grabbed = 0;
    ticker.current!.start(rate);
    setRecording(true);
  };
  const stopRecording = () => {
    if (!ticker.current!.running) return;
    const seconds = ticker.current!.stop();
    setRecording(false);
    setLastTake({ frames: uploader.current!.grabbed, seconds });
  };
  // A camera that stops mid-recording ends the take; what was grabbed is stored.
  useEffect(() => {
    if (!camera.stream) stopRecording();
  });

  const count = info?.samples.length ?? 0;
  const name = info?.name ?? 'this class';
  const isHoldKey = (key: string) => key === ' ' || key === 'Enter';

  return (
    <dialog
      ref={dialogRef}
      className="capture-panel"
      aria-label={`Webcam for ${name}`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className="capture-header">
        <h3>Webcam: {name}</h3>
        <span className="count">
          {count} {count === 1 ? 'image' : 'images'}
        </span>
      </div>
      <CameraView camera={camera} mirror={mirror} videoRef={videoRef} />
      <div className="row">
        <label>
          <input type="checkbox" checked={mirror} onChange={(e) => setMirror(e.target.checked)} /> Mirror
        </label>
        {camera.cameras.length > 1 && (
          <label>
            Camera{' '}
            <select
              value={deviceId ?? camera.stream?.getVideoTracks()[0]?.getSettings().deviceId ?? ''}
              onChange={(e) => setDeviceId(e.target.value)}
            >
              {camera.cameras.map((c, i) => (
                <option key={c.deviceId} value={c.deviceId}>
                  {c.label || `Camera ${i + 1}`}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Frames per second{' '}
          <input
            type="number"
            min={1}
            max={MAX_CAPTURE_RATE}
            value={rate}
            disabled={recording}
            onChange={(e) => setRate(Math.min(MAX_CAPTURE_RATE, Math.max(1, Number(e.target.value) || DEFAULT_CAPTURE_RATE)))}
          />
        </label>
      </div>
      <div className="row">
        <button
          type="button"
          className={`primary hold${recording ? ' recording' : ''}`}
          aria-pressed={recording}
          disabled={!camera.stream}
          onPointerDown={(e) => {
            if (e.button !== 0) return;
            e.currentTarget.setPointerCapture(e.pointerId);
            startRecording();
          }}
          onPointerUp={stopRecording}
          onPointerCancel={stopRecording}
          onLostPointerCapture={stopRecording}
          onContextMenu={(e) => e.preventDefault()}
          onKeyDown={(e) => {
            if (!isHoldKey(e.key)) return;
            e.preventDefault();
            if (!e.repeat) startRecording();
          }}
          onKeyUp={(e) => {
            if (!isHoldKey(e.key)) return;
            e.preventDefault();
            stopRecording();
          }}
          onBlur={stopRecording}
        >
          Hold to record
        </button>
        <button type="button" disabled={!camera.stream || recording} onClick={() => void uploader.current!.grab(videoRef.current)}>
          Capture frame
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="hint" role="status" aria-label="Recording">
        {recording
          ? `Recording at ${rate} frames per second…`
          : lastTake
            ? `Recorded ${lastTake.frames} frames in ${lastTake.seconds.toFixed(1)} s (${(lastTake.frames / Math.max(lastTake.seconds, 1e-3)).toFixed(1)} per second).`
            : 'Hold the button (or Space) to record; the frames appear in the class as they are stored.'}
      </p>
    </dialog>
  );
}

/** Grabs frames and sends them to the engine one batch at a time: whatever piled up while the previous batch was stored. */
class FrameUploader {
  grabbed = 0;
  private pending: ImageBitmap[] = [];
  private sending = false;

  constructor(private readonly classId: string) {}

  async grab(video: HTMLVideoElement | null): Promise<void> {
    if (!hasFrame(video)) return;
    this.grabbed++;
    try {
      this.pending.push(await grabSquare(video));
    } catch {
      this.grabbed--;
      return;
    }
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.sending || this.pending.length === 0) return;
    this.sending = true;
    const batch = this.pending;
    this.pending = [];
    try {
      await addCapturedFrames(this.classId, batch);
    } finally {
      this.sending = false;
    }
    await this.flush();
  }
}
