import type { StudySource } from "../../stores/studySlice";

export interface PickedFile {
  path: string;
  source: StudySource;
}

/**
 * Study paths from files with their folder paths ("root/siteA/case.nii.gz"): one folder chosen
 * or dropped is the study's root (its name is the site when files sit directly in it); several
 * folders dropped together are sites each; loose files belong to a site named "dropped".
 */
export function studyPaths(files: { relative: string; file: Blob }[]): { files: PickedFile[]; rootName: string } {
  const parts = files.map((f) => f.relative.replace(/^\/+/, "").split("/"));
  const tops = new Set(parts.map((p) => (p.length > 1 ? p[0] : "")));
  if (tops.size === 1 && !tops.has("")) {
    const [root] = tops;
    return { files: files.map((f, i) => ({ path: parts[i].slice(1).join("/"), source: f.file })), rootName: root };
  }
  return { files: files.map((f, i) => ({ path: parts[i].join("/"), source: f.file })), rootName: "dropped" };
}

/** Every file under dropped items, folders walked (the File System entries API every browser has). */
export async function droppedFiles(items: DataTransferItemList): Promise<{ relative: string; file: File }[]> {
  const out: { relative: string; file: File }[] = [];
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
  const entries = Array.from(items, (i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  for (const e of entries) await walk(e);
  return out;
}
