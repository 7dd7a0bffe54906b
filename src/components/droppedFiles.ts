/** A dropped file with its path below the drop ("/study/siteA/case.nii.gz"; a loose file: "/case.nii.gz"). */
export interface DroppedFile {
  relative: string;
  file: File;
}

/** Every file under dropped items, folders walked (the File System entries API every browser has). */
export async function droppedFiles(items: DataTransferItemList): Promise<DroppedFile[]> {
  // entries must be taken before the first await: the drop's data is gone after the event
  const entries = Array.from(items, (i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  return walkEntries(entries);
}

async function walkEntries(entries: FileSystemEntry[]): Promise<DroppedFile[]> {
  const out: DroppedFile[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ relative: entry.fullPath, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      // readEntries returns the listing in batches until an empty one
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const e of batch) await walk(e);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}

/**
 * The files of a drop, folders walked. Where the browser gives no entries (a synthetic drop, or
 * an item that is not a file system entry), the drop's plain file list is used.
 */
export function filesOfDrop(dt: DataTransfer): Promise<DroppedFile[]> {
  const items = Array.from(dt.items).filter((i) => i.kind === "file");
  const entries = items.map((i) => i.webkitGetAsEntry());
  if (entries.length > 0 && entries.every((e) => e !== null)) return walkEntries(entries as FileSystemEntry[]);
  return Promise.resolve(Array.from(dt.files, (file) => ({ relative: `/${file.name}`, file })));
}
