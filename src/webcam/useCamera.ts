import { useCallback, useEffect, useState } from 'react';
import { cameraErrorMessage, cameraMessage } from './errors';

export interface CameraState {
  stream: MediaStream | null;
  /** A message for the user when the camera cannot be used or stopped. */
  error: string | null;
  /** Video inputs, once permission is granted (labels are empty before). */
  cameras: MediaDeviceInfo[];
  /** Asks for the camera again after an error. */
  retry(): void;
}

/**
 * Opens a camera while `active` and stops every track when it is turned off,
 * the device changes or the component unmounts (the camera light goes off).
 */
export function useCamera(active: boolean, deviceId: string | null): CameraState {
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cameras, setCameras] = useState<MediaDeviceInfo[]>([]);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!active) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      setError(cameraMessage('unsupported'));
      return;
    }
    let opened: MediaStream | null = null;
    let closed = false;
    setError(null);
    const onEnded = () => {
      if (closed) return;
      setStream(null);
      setError(cameraMessage('disconnected'));
    };
    navigator.mediaDevices
      .getUserMedia({
        video: deviceId ? { deviceId: { exact: deviceId } } : { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' },
        audio: false,
      })
      .then(async (media) => {
        opened = media;
        if (closed) {
          stopAll(media);
          return;
        }
        media.getVideoTracks().forEach((track) => track.addEventListener('ended', onEnded));
        setStream(media);
        setCameras(await videoInputs());
      })
      .catch((reason: unknown) => {
        if (!closed) setError(cameraErrorMessage(reason));
      });
    const onDeviceChange = () => void videoInputs().then(setCameras);
    navigator.mediaDevices.addEventListener('devicechange', onDeviceChange);
    return () => {
      closed = true;
      navigator.mediaDevices.removeEventListener('devicechange', onDeviceChange);
      if (opened) stopAll(opened);
      setStream(null);
    };
  }, [active, deviceId, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { stream, error, cameras, retry };
}

function stopAll(stream: MediaStream): void {
  stream.getTracks().forEach((track) => track.stop());
}

async function videoInputs(): Promise<MediaDeviceInfo[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((d) => d.kind === 'videoinput');
}
