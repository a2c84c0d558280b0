import { useEffect, useRef, useState, type CSSProperties } from 'react';
import { useLabelColour } from './colours';
import type { ClassProbability } from '../../engine/api';
import { messageOf } from '../../state/actions';
import { predictVideoFrame } from '../../state/capture';
import { useSession } from '../../state/session';
import { runLivePredictions, type LiveUpdate } from '../../webcam/livePredictions';
import { useCamera } from '../../webcam/useCamera';
import { FileDrop } from '../common/FileDrop';
import { CameraView } from '../webcam/CameraView';
import { Verdict } from './Verdict';

/**
 * Runs the trained model continuously on the webcam, or on a test video file,
 * with one confidence bar per class and the measured predictions per second.
 */
export function LivePreview() {
  const labels = useSession((s) => s.result?.labels ?? null);
  const [on, setOn] = useState(false);
  const [testVideo, setTestVideo] = useState<{ url: string; name: string } | null>(null);
  const [live, setLive] = useState<LiveUpdate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const camera = useCamera(on && !testVideo, null);
  const cameraVideo = useRef<HTMLVideoElement>(null);
  const fileVideo = useRef<HTMLVideoElement>(null);
  const active = on && labels !== null;

  useEffect(() => () => void (testVideo && URL.revokeObjectURL(testVideo.url)), [testVideo]);

  useEffect(() => {
    const video = testVideo ? fileVideo.current : cameraVideo.current;
    if (!active || !video || (!testVideo && !camera.stream)) return;
    if (testVideo) void video.play().catch(() => undefined);
    setError(null);
    const stop = runLivePredictions(video, predictVideoFrame, setLive, (reason) => {
      setError(`Live preview stopped: ${messageOf(reason)}`);
      setOn(false);
    });
    return () => {
      stop();
      if (testVideo) video.pause();
    };
  }, [active, testVideo, camera.stream]);

  useEffect(() => {
    if (!on) setLive(null);
  }, [on]);

  return (
    <FileDrop
      className="live-preview"
      onFiles={([file]) => {
        if (file?.type.startsWith('video/')) {
          setTestVideo({ url: URL.createObjectURL(file), name: file.name });
          setOn(true);
        }
      }}
    >
      <div className="row">
        <button type="button" className="toggle" aria-pressed={on} disabled={labels === null} onClick={() => setOn(!on)}>
          <span className="toggle-light" aria-hidden="true" />
          Live preview
          <span className="toggle-state" aria-hidden="true">
            {on ? 'On' : 'Off'}
          </span>
        </button>
        <label className={`button${labels === null ? ' disabled' : ''}`}>
          Test video
          <input
            type="file"
            accept="video/*"
            className="visually-hidden"
            aria-label="Test video"
            disabled={labels === null}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (!file) return;
              setTestVideo({ url: URL.createObjectURL(file), name: file.name });
              setOn(true);
            }}
          />
        </label>
        {testVideo && (
          <button type="button" className="link" onClick={() => setTestVideo(null)}>
            Use the webcam instead
          </button>
        )}
      </div>
      {labels === null && <span className="hint">Train a model to preview it live on the webcam or a video.</span>}
      {on && testVideo && (
        <video ref={fileVideo} className="camera-view-video" src={testVideo.url} aria-label={testVideo.name} loop muted playsInline />
      )}
      {on && !testVideo && <CameraView camera={camera} mirror videoRef={cameraVideo} />}
      {error && (
        <p role="alert" className="camera-error">
          {error}
        </p>
      )}
      {on && labels && <ConfidenceBars labels={labels} live={live} />}
    </FileDrop>
  );
}

function ConfidenceBars({ labels, live }: { labels: string[]; live: LiveUpdate | null }) {
  const colourOf = useLabelColour();
  const byLabel = new Map<string, ClassProbability>((live?.predictions ?? []).map((p) => [p.label, p]));
  const top = live?.predictions.reduce<ClassProbability | null>((best, p) => (best && best.probability >= p.probability ? best : p), null) ?? null;
  return (
    <div className="live-bars" aria-label="Live predictions" role="group">
      {top && <Verdict label={top.label} probability={top.probability} colour={colourOf(top.label)} />}
      {labels.map((label) => {
        const percent = Math.round((byLabel.get(label)?.probability ?? 0) * 100);
        return (
          <div key={label} className="live-bar" style={{ '--class-colour': colourOf(label) } as CSSProperties}>
            <span className="live-bar-text">
              {label} {live ? `${percent}%` : '…'}
            </span>
            <div
              role="meter"
              aria-label={label}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              aria-valuetext={`${label} ${percent}%`}
              className="progress-track"
            >
              <div className="progress-fill" style={{ transform: `scaleX(${percent / 100})` }} />
            </div>
          </div>
        );
      })}
      <p className="hint" aria-label="Predictions per second">
        {live?.perSecond != null ? `${live.perSecond.toFixed(1)} predictions per second` : 'Measuring predictions per second…'}
      </p>
    </div>
  );
}
