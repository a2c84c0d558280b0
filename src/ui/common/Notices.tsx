import { useSession } from '../../state/session';

/** Messages about skipped files, refused training runs and errors; each can be dismissed. */
export function Notices() {
  const all = useSession((s) => s.notices);
  // Messages about one class's files show on its card.
  const notices = all.filter((n) => n.classId === undefined);
  const dismiss = useSession((s) => s.dismiss);
  if (notices.length === 0) return null;
  return (
    <section className="notices" aria-label="Messages">
      {notices.length > 1 && (
        <button type="button" className="link" onClick={() => notices.forEach((n) => dismiss(n.id))}>
          Dismiss all
        </button>
      )}
      <ul>
        {notices.map((n) => (
          <li key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : undefined}>
            <span>{n.text}</span>
            <button type="button" aria-label="Dismiss message" onClick={() => dismiss(n.id)}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
