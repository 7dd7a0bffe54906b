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

// Folder walking is shared with the scan drop.
export { droppedFiles } from "../../components/droppedFiles";
