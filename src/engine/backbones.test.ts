// @vitest-environment node
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKBONE_ID } from '../ml/backbones';
import { Backbones } from './backbones';

describe('Backbones.backendStarted', () => {
  it('waits for the page to start the engine instead of failing (a large project shows, and takes a test image, before that)', async () => {
    const backbones = new Backbones();
    let ready = false;
    const waiting = backbones.backendStarted().then(() => {
      ready = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ready).toBe(false);
    await backbones.start({ backend: 'cpu', appBase: '/', backboneId: DEFAULT_BACKBONE_ID });
    await waiting;
    expect(ready).toBe(true);
    expect(tf.getBackend()).toBe('cpu');
  });
});
