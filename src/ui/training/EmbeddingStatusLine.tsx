import { useProject } from '../../state/project';
import { useSession } from '../../state/session';

/**
 * How many images the engine has already prepared (embedded) for the backbone in
 * use. It embeds in the background right after import, so Train on a prepared
 * project starts training at once.
 */
export function EmbeddingStatusLine() {
  const embedding = useSession((s) => s.embedding);
  const backboneId = useProject((s) => s.backboneId);
  if (!embedding || embedding.backboneId !== backboneId || embedding.total === 0) return null;
  const { embedded, total } = embedding;
  const count = (n: number) => n.toLocaleString('en');
  return (
    <p className="hint embedding-status" aria-live="polite">
      {embedded >= total
        ? `All ${count(total)} images are prepared for training.`
        : `Preparing images for training: ${count(embedded)} of ${count(total)} done (continues in the background).`}
    </p>
  );
}
