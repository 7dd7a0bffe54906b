import { OutsideFolderError, type ReadModelFile } from "../core/manifest/load";
import { ManifestError } from "../core/manifest/schema";
import type { ModelSource } from "../core/manifest/source";

/** Reads the files of a model by their path relative to its manifest (fetch or the opened files). */
export function modelFileReader(source: ModelSource): ReadModelFile {
  if (source.kind === "url") {
    return async (path) => {
      // the core hands only paths inside the folder (folderPath); a URL that resolves elsewhere all the same is never fetched
      const url = URL.canParse(path, source.baseUrl) ? new URL(path, source.baseUrl).href : "";
      if (!url.startsWith(new URL("./", source.baseUrl).href)) throw new OutsideFolderError(`${JSON.stringify(path)} lies outside the model folder${url ? ` (${url})` : ""}`);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`Could not load ${url} (HTTP ${res.status})`);
      return new Uint8Array(await res.arrayBuffer());
    };
  }
  return async (path) => {
    const key = path.replace(/^\.\//, "");
    // own entries only: "constructor" or "__proto__" is no file of the folder
    const file = Object.hasOwn(source.files, key) ? source.files[key] : undefined;
    if (!file) throw new ManifestError(`the opened model has no ${path}, which its manifest names: open the whole model folder`);
    return new Uint8Array(await file.arrayBuffer());
  };
}
