import type { ReadModelFile } from "../core/manifest/load";
import { ManifestError } from "../core/manifest/schema";
import type { ModelSource } from "../core/manifest/source";

/** Reads the files of a model by their path relative to its manifest (fetch or the opened files). */
export function modelFileReader(source: ModelSource): ReadModelFile {
  if (source.kind === "url") {
    return async (path) => {
      const url = new URL(path, source.baseUrl).href;
      const res = await fetch(url);
      if (!res.ok) throw new Error(`Could not load ${url} (HTTP ${res.status})`);
      return new Uint8Array(await res.arrayBuffer());
    };
  }
  return async (path) => {
    const file = source.files[path.replace(/^\.\//, "")];
    if (!file) throw new ManifestError(`the opened model has no ${path}, which its manifest names: open the whole model folder`);
    return new Uint8Array(await file.arrayBuffer());
  };
}
