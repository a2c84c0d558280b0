import { useEffect, type KeyboardEvent, type RefObject } from 'react';

/** The controls a roving group moves between: enabled buttons and inputs (a hidden file input is reached through its label). */
const ITEMS = 'button:not(:disabled), input:not(:disabled), select:not(:disabled)';

/**
 * One Tab stop for a row of controls (the ARIA toolbar pattern): the last one
 * used keeps tabindex 0, the others -1, and the arrow keys, Home and End move
 * between them. Keeps a class card to one stop for its actions, so the page's
 * Tab order stays short however many classes there are.
 */
export function useRovingFocus(container: RefObject<HTMLElement | null>) {
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const update = (active?: Element | null) => {
      const items = [...element.querySelectorAll<HTMLElement>(ITEMS)];
      const current = items.find((item) => item === active) ?? items.find((item) => item.tabIndex === 0) ?? items[0];
      items.forEach((item) => (item.tabIndex = item === current ? 0 : -1));
    };
    update();
    const onFocus = (e: FocusEvent) => update(e.target as Element);
    // Controls can be enabled, disabled or replaced after the first render.
    const observer = new MutationObserver(() => update(element.contains(document.activeElement) ? document.activeElement : null));
    observer.observe(element, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled'] });
    element.addEventListener('focusin', onFocus);
    return () => {
      observer.disconnect();
      element.removeEventListener('focusin', onFocus);
    };
  }, [container]);

  return (e: KeyboardEvent<HTMLElement>) => {
    const element = container.current;
    if (!element) return;
    const items = [...element.querySelectorAll<HTMLElement>(ITEMS)];
    const index = items.indexOf(document.activeElement as HTMLElement);
    if (index < 0) return;
    const next = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    items[(next + items.length) % items.length].focus();
  };
}
