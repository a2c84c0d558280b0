import { useLayoutEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Sample } from '../../state/project';
import { useThumbnail } from '../../state/thumbnails';

const TILE = 64;
const GAP = 4;
const ROW = TILE + GAP;

/** How far outside the viewport a grid starts showing its thumbnails. */
const NEAR_VIEW_MARGIN = '200px 0px';

/**
 * The class's thumbnails (96 px JPEGs made by the engine, asked for only while in view), each with a delete
 * button. Only the rows in view are in the page, so a class of thousands of
 * images scrolls smoothly and keeps few images decoded; and a grid scrolled out
 * of the page's view holds none. Every <img> costs the page a fraction of a
 * millisecond to start loading, so showing a large project must not mount the
 * visible rows of every class at once (ten classes: ~500 images in one task).
 */
export function SampleGrid({ samples, onDelete }: { samples: Sample[]; onDelete(id: string): void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [columns, setColumns] = useState(4);
  const [nearView, setNearView] = useState(false);
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setColumns(Math.max(1, Math.floor((element.clientWidth + GAP) / ROW)));
    measure();
    const resizes = new ResizeObserver(measure);
    resizes.observe(element);
    const visibility = new IntersectionObserver(([entry]) => setNearView(entry.isIntersecting), { rootMargin: NEAR_VIEW_MARGIN });
    visibility.observe(element);
    return () => {
      resizes.disconnect();
      visibility.disconnect();
    };
  }, [samples.length > 0]);
  const rows = Math.ceil(samples.length / columns);
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 3,
  });
  if (samples.length === 0) return null;
  return (
    <div ref={scroller} className="sample-scroller">
      <ul className="sample-grid" aria-label="Images" style={{ height: virtualizer.getTotalSize() }}>
        {(nearView ? virtualizer.getVirtualItems() : []).flatMap((row) =>
          samples.slice(row.index * columns, (row.index + 1) * columns).map((s, column) => (
            <li key={s.id} className="sample" style={{ top: row.start, left: column * ROW }}>
              <Thumbnail sample={s} size={TILE} />
              <button type="button" className="sample-delete" aria-label={`Delete ${s.name}`} onClick={() => onDelete(s.id)}>
                ×
              </button>
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

/** A sample's thumbnail, asked for from the engine when it comes into view; a blank tile until then. */
export function Thumbnail({ sample, size }: { sample: Sample; size: number }) {
  const url = useThumbnail(sample.id);
  return url ? (
    <img src={url} alt={sample.name} title={sample.name} width={size} height={size} decoding="async" />
  ) : (
    <span className="thumbnail-pending" role="img" aria-label={sample.name} style={{ width: size, height: size }} />
  );
}
