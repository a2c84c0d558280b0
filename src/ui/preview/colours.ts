import { classColour } from '../../state/guide';
import { useProject } from '../../state/project';
import { useSession } from '../../state/session';

/** A label's colour: that of the class card with its name, else its place among the model's labels. */
export function useLabelColour(): (label: string) => string {
  const classes = useProject((s) => s.classes);
  // Selecting `labels ?? []` would make a new array on every store read (an endless re-render).
  const labels = useSession((s) => s.result?.labels) ?? [];
  return (label) => {
    const card = classes.findIndex((c) => c.name.trim() === label);
    return classColour(card >= 0 ? card : labels.indexOf(label));
  };
}
