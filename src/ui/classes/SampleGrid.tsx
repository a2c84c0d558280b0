import { useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
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
 *
 * For the keyboard the grid is one Tab stop: one thumbnail's delete button is
 * tabbable, the arrow keys (and Home/End) move between thumbnails, scrolling
 * the grid, and Delete or Backspace removes the focused one.
 */
export function SampleGrid({ samples, onDelete }: { samples: Sample[]; onDelete(id: string): void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [columns, setColumns] = useState(4);
  const [nearView, setNearView] = useState(false);
  const [active, setActive] = useState(0);
  /** Set when the keyboard moved: focus follows once the thumbnail is rendered. */
  const focusPending = useRef(false);
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
  const current = Math.min(active, samples.length - 1);
  const rendered = nearView ? virtualizer.getVirtualItems() : [];
  const firstRendered = rendered.length > 0 ? rendered[0].index * columns : -1;
  const lastRendered = rendered.length > 0 ? Math.min(samples.length, (rendered.at(-1)!.index + 1) * columns) - 1 : -1;
  // The tabbable thumbnail: the active one, or the first on screen when the active one is scrolled away.
  const tabbable = current >= firstRendered && current <= lastRendered ? current : firstRendered;

  useLayoutEffect(() => {
    if (!focusPending.current) return;
    const button = scroller.current?.querySelector<HTMLButtonElement>(`[data-index="${current}"]`);
    if (button) {
      focusPending.current = false;
      button.focus({ preventScroll: false });
    }
  });

  if (samples.length === 0) return null;

  const move = (to: number) => {
    const next = Math.max(0, Math.min(samples.length - 1, to));
    setActive(next);
    focusPending.current = true;
    virtualizer.scrollToIndex(Math.floor(next / columns));
  };
  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    const steps: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns };
    if (e.key in steps) move(current + steps[e.key]);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(samples.length - 1);
    else if (e.key === 'Delete' || e.key === 'Backspace') {
      onDelete(samples[current].id);
      // The next thumbnail moves into this place; keep focus there (or on the new last one).
      if (samples.length > 1) move(Math.min(current, samples.length - 2));
    } else return;
    e.preventDefault();
  };

  return (
    <div ref={scroller} className="sample-scroller">
      <ul
        className="sample-grid"
        aria-label="Images"
        style={{ height: virtualizer.getTotalSize() }}
        onKeyDown={onKeyDown}
      >
        {rendered.flatMap((row) =>
          samples.slice(row.index * columns, (row.index + 1) * columns).map((s, column) => {
            const index = row.index * columns + column;
            return (
              <li key={s.id} className="sample" style={{ top: row.start, left: column * ROW }}>
                <Thumbnail sample={s} size={TILE} />
                <button
                  type="button"
                  className="sample-delete"
                  data-index={index}
                  tabIndex={index === tabbable ? 0 : -1}
                  aria-label={`Delete ${s.name}`}
                  onFocus={() => setActive(index)}
                  onClick={() => onDelete(s.id)}
                >
                  ×
                </button>
              </li>
            );
          }),
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
