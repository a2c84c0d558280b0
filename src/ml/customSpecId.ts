/**
 * A custom backbone's spec id says everything needed to rebuild its spec from the
 * stored model: `custom:<modelId>:<featureNode>:<scaling>`. It is what a project
 * saves as its backboneId, so embeddings and trained heads keyed by it stay valid
 * across reloads. No tfjs here: the page and the project-file checks use it too.
 */
import type { PixelScaling } from './backbones';

export const CUSTOM_PREFIX = 'custom:';
const SCALINGS: readonly PixelScaling[] = ['teachable-machine', 'unit'];

export interface CustomSpecParts {
  modelId: string;
  featureNode: string;
  scaling: PixelScaling;
}

export function customSpecId({ modelId, featureNode, scaling }: CustomSpecParts): string {
  return `${CUSTOM_PREFIX}${modelId}:${featureNode}:${scaling}`;
}

export const isCustomBackboneId = (id: string) => id.startsWith(CUSTOM_PREFIX);

/** The parts of a custom spec id, or null when it is not one. The model id has no colon; a node name may. */
export function parseCustomSpecId(id: string): CustomSpecParts | null {
  if (!isCustomBackboneId(id)) return null;
  const rest = id.slice(CUSTOM_PREFIX.length);
  const first = rest.indexOf(':');
  const last = rest.lastIndexOf(':');
  if (first <= 0 || last <= first + 1) return null;
  const scaling = rest.slice(last + 1) as PixelScaling;
  if (!SCALINGS.includes(scaling)) return null;
  return { modelId: rest.slice(0, first), featureNode: rest.slice(first + 1, last), scaling };
}
