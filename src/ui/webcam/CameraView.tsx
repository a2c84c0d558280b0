import { useEffect, type RefObject } from 'react';
import type { CameraState } from '../../webcam/useCamera';

interface Props {
  camera: CameraState;
  mirror: boolean;
  videoRef: RefObject<HTMLVideoElement | null>;
}

/** The live camera picture (mirrored like a mirror if asked), or why there is none. */
export function CameraView({ camera, mirror, videoRef }: Props) {
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    video.srcObject = camera.stream;
    if (camera.stream) void video.play().catch(() => undefined);
  }, [camera.stream, videoRef]);

  return (
    <div className="camera-view">
      <video
        ref={videoRef}
        className={mirror ? 'mirrored' : undefined}
        aria-label="Camera picture"
        autoPlay
        muted
        playsInline
        hidden={!camera.stream}
      />
      {!camera.stream && !camera.error && <p className="hint">Starting the camera…</p>}
      {camera.error && (
        <div role="alert" className="camera-error">
          <p>{camera.error}</p>
          <button type="button" onClick={camera.retry}>
            Try again
          </button>
        </div>
      )}
    </div>
  );
}
