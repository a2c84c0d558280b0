/**
 * The moment the start-up project is on the page. Until then the classes the
 * page shows are placeholders about to be replaced by the saved ones, so files
 * dropped meanwhile (a large project can take seconds to open) wait for it
 * rather than going to classes that will not exist, and the page says it is
 * opening the project instead of offering those placeholders.
 */
import { create } from 'zustand';

/** True from page load until the last project is open (or a new one is made). */
export const useStartup = create<{ opening: boolean }>()(() => ({ opening: true }));

let markReady!: () => void;
const ready = new Promise<void>((resolve) => (markReady = resolve));

export function projectReady(): Promise<void> {
  return ready;
}

export function markProjectReady(): void {
  useStartup.setState({ opening: false });
  markReady();
}
