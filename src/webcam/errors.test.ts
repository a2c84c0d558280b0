import { describe, expect, it } from 'vitest';
import { cameraErrorMessage, cameraProblemOf } from './errors';

describe('camera errors', () => {
  it('names each getUserMedia failure a user can hit', () => {
    expect(cameraProblemOf(new DOMException('Permission denied', 'NotAllowedError'))).toBe('denied');
    expect(cameraProblemOf(new DOMException('Requested device not found', 'NotFoundError'))).toBe('missing');
    expect(cameraProblemOf(new DOMException('Could not start video source', 'NotReadableError'))).toBe('busy');
    expect(cameraProblemOf(new TypeError('boom'))).toBe('failed');
  });

  it('says what to do and that the images are kept', () => {
    const denied = cameraErrorMessage(new DOMException('Permission denied', 'NotAllowedError'));
    expect(denied).toMatch(/permission was denied/i);
    expect(denied).toMatch(/images you collected are kept/);
    expect(cameraErrorMessage(new Error('driver crashed'))).toContain('driver crashed');
  });
});
