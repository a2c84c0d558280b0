import { describe, expect, it } from 'vitest';
import { customSpecId, parseCustomSpecId } from './customSpecId';

describe('custom backbone ids', () => {
  it('carry the model id, the feature layer and the scaling, and give them back', () => {
    for (const parts of [
      { modelId: 'ab12cd34', featureNode: 'features', scaling: 'teachable-machine' as const },
      // Graph node names can hold colons and slashes.
      { modelId: 'ab12cd34', featureNode: 'StatefulPartitionedCall/model/pool:0', scaling: 'unit' as const },
    ]) {
      expect(parseCustomSpecId(customSpecId(parts))).toEqual(parts);
    }
    expect(customSpecId({ modelId: 'm', featureNode: 'f', scaling: 'unit' })).toBe('custom:m:f:unit');
  });

  it('are told apart from catalog ids and broken ids', () => {
    for (const id of ['mobilenet_v2_035_224', 'custom:', 'custom:m', 'custom:m:f', 'custom::f:unit', 'custom:m:f:sideways', 'custom:m::unit']) {
      expect(parseCustomSpecId(id), id).toBeNull();
    }
  });
});
