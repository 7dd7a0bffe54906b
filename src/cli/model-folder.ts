/** Reading a model folder on disk (--model): only files that are really inside it. */
import { realpath } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { OutsideFolderError, pathInFolder, type ReadModelFile } from "../core/manifest";

/**
 * Reads the model folder's files by their manifest path. The core refuses paths that lead out of
 * the folder by their text ("../x", "/x"); this also follows symbolic links (the folder's own and its
 * files') and refuses a file whose real path lies outside the folder's, before reading a byte.
 * `readBytes` does the reading (and says why a file cannot be read).
 */
export function modelFolderReader(dir: string, readBytes: (path: string) => Promise<Uint8Array>): ReadModelFile {
  let root: Promise<string> | undefined;
  return async (p) => {
    const path = join(dir, pathInFolder("path", p));
    // a file that does not resolve (missing, a dangling link) is left to readBytes to report
    const real = await realpath(path).catch(() => null);
    if (real !== null) {
      const base = await (root ??= realpath(dir).catch(() => dir));
      const rel = relative(base, real);
      if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new OutsideFolderError(`${JSON.stringify(p)} lies outside the model folder (it leads to ${real})`);
    }
    return readBytes(path);
  };
}
