import { ManifestError, parseManifest, type Manifest } from "./schema";

/** Reads a file of the model folder by its path relative to the manifest (fetch in the browser, fs in Node). */
export type ReadModelFile = (path: string) => Promise<Uint8Array>;

export interface LoadedModel {
  manifest: Manifest;
  onnx: Uint8Array;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function readManifest(read: ReadModelFile): Promise<Manifest> {
  const text = new TextDecoder().decode(await read("manifest.json"));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`manifest.json is not valid JSON: ${(e as Error).message}`);
  }
  return parseManifest(json);
}

/** Manifest plus the ONNX bytes, refused when the file's checksum differs from the manifest's. */
export async function loadModel(read: ReadModelFile): Promise<LoadedModel> {
  const manifest = await readManifest(read);
  const onnx = await read(manifest.files.model.path);
  const hash = await sha256Hex(onnx);
  if (hash !== manifest.files.model.sha256) {
    throw new ManifestError(
      `${manifest.files.model.path} does not match its manifest (sha256 ${hash.slice(0, 12)}…, expected ${manifest.files.model.sha256.slice(0, 12)}…): the download is incomplete or the file was changed. Reload the page or reinstall the model.`,
    );
  }
  return { manifest, onnx };
}
