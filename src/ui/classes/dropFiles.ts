/**
 * Reading what the user dropped: plain files, or folders walked through the
 * File and Directory Entries API, and grouping an ImageFolder tree by class.
 */

export interface DroppedFile {
  file: File;
  /** Folder names from the drop root down to the file (empty for a loose file). */
  folders: string[];
}

/** Folder names that split a dataset rather than name a class (`root/train/cats/x.jpg`). */
const SPLIT_FOLDERS = new Set(['train', 'training', 'val', 'valid', 'validation', 'test', 'testing']);

/** System clutter that is never an image a person meant to add. */
function isClutter(name: string): boolean {
  return name.startsWith('.') || /^(thumbs\.db|desktop\.ini)$/i.test(name);
}

export async function readDrop(dataTransfer: DataTransfer): Promise<DroppedFile[]> {
  // Entries must be taken synchronously, before the drop event handler returns.
  const entries = [...dataTransfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => ({ entry: item.webkitGetAsEntry?.() ?? null, file: item.getAsFile() }));
  const out: DroppedFile[] = [];
  for (const { entry, file } of entries) {
    if (entry) await walk(entry, [], out);
    else if (file) out.push({ file, folders: [] });
  }
  return out.filter((d) => !isClutter(d.file.name));
}

async function walk(entry: FileSystemEntry, folders: string[], out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, folders });
    return;
  }
  if (!entry.isDirectory || isClutter(entry.name)) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const path = [...folders, entry.name];
  // readEntries returns at most ~100 entries per call; call until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, path, out);
  }
}

/** Files picked with a directory input carry their path in webkitRelativePath. */
export function fromDirectoryInput(files: FileList | File[]): DroppedFile[] {
  return [...files]
    .filter((file) => !isClutter(file.name))
    .map((file) => ({ file, folders: (file.webkitRelativePath || file.name).split('/').slice(0, -1) }));
}

export interface ClassGroups {
  classes: Map<string, File[]>;
  /** Files that sit outside any class folder. */
  unplaced: File[];
}

/**
 * ImageFolder layout: each dropped folder whose subfolders hold images is a
 * dataset root, and each subfolder a class (`train/`, `validation/` levels are
 * looked through, so their classes merge). A dropped folder without
 * subfolders is itself one class.
 */
export function groupByClass(dropped: DroppedFile[]): ClassGroups {
  const classes = new Map<string, File[]>();
  const unplaced: File[] = [];
  const add = (name: string, file: File) => classes.set(name, [...(classes.get(name) ?? []), file]);
  const rootsWithSubfolders = new Set(dropped.filter((d) => d.folders.length >= 2).map((d) => d.folders[0]));
  for (const { file, folders } of dropped) {
    if (folders.length === 0) {
      unplaced.push(file);
      continue;
    }
    const [root, ...rest] = folders;
    if (!rootsWithSubfolders.has(root)) {
      add(root, file);
      continue;
    }
    const inner = rest.length > 1 && SPLIT_FOLDERS.has(rest[0].toLowerCase()) ? rest.slice(1) : rest;
    if (inner.length === 0) unplaced.push(file);
    else add(inner[0], file);
  }
  return { classes, unplaced };
}
