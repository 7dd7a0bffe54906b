import { ManifestError } from "./schema";

/** An opened file (a browser File or Blob): only its bytes are read. */
export interface ModelFile {
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Where a model's files are: a folder the app serves (shipped models) or files the user opened. */
export type ModelSource = { kind: "url"; baseUrl: string } | { kind: "files"; files: Record<string, ModelFile> };

/**
 * The opened files as a model folder: paths made relative to the folder of its manifest.json (the
 * shallowest one when a folder holds several, e.g. a model inside a download folder).
 */
export function modelFolder(files: { path: string; file: ModelFile }[]): Record<string, ModelFile> {
  const manifests = files.map((f) => f.path).filter((p) => p === "manifest.json" || p.endsWith("/manifest.json"));
  if (!manifests.length) throw new ManifestError("no manifest.json among the opened files: open the model's folder, or its manifest.json together with model.onnx");
  const root = manifests.sort((a, b) => a.split("/").length - b.split("/").length)[0].slice(0, -"manifest.json".length);
  return Object.fromEntries(files.filter((f) => f.path.startsWith(root)).map((f) => [f.path.slice(root.length), f.file]));
}
