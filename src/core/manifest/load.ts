import { sha256Hex } from "../sha256";
import { ManifestError, parseManifest, type Manifest } from "./schema";

/** Reads a file of the model folder by its path relative to the manifest (fetch in the browser, fs in Node). */
export type ReadModelFile = (path: string) => Promise<Uint8Array>;

export interface LoadedModel {
  manifest: Manifest;
  onnx: Uint8Array;
}

export { sha256Hex };

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

/** A model file's bytes, refused when its checksum differs from the manifest's. */
export async function readChecked(read: ReadModelFile, file: { path: string; sha256: string }): Promise<Uint8Array> {
  const bytes = await read(file.path);
  const hash = await sha256Hex(bytes);
  if (hash !== file.sha256) {
    throw new ManifestError(
      `${file.path} does not match its manifest (sha256 ${hash.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…): the download is incomplete or the file was changed. Reload the page or reinstall the model.`,
    );
  }
  return bytes;
}

/** Manifest plus the ONNX bytes, refused when the file's checksum differs from the manifest's. */
export async function loadModel(read: ReadModelFile): Promise<LoadedModel> {
  const manifest = await readManifest(read);
  return { manifest, onnx: await readChecked(read, manifest.files.model) };
}

/** The model's training-step graph, checked like the model; an error when the model ships none. */
export async function loadTrainStep(read: ReadModelFile, manifest: Manifest): Promise<Uint8Array> {
  const file = manifest.files.trainStep;
  if (!file) throw new ManifestError(`model ${manifest.id} ${manifest.version} ships no training graph (files.trainStep), so adapters for it cannot be trained here`);
  return readChecked(read, file);
}

/**
 * The manifest's tensor names against the ONNX graph's (onnxruntime reads them when it opens the
 * model): a wrong name would fail only at the first run, with onnxruntime's own words.
 */
export function checkGraphNames(manifest: Manifest, graph: { inputNames: readonly string[]; outputNames: readonly string[] }): void {
  const problems: string[] = [];
  const need = (field: string, name: string, names: readonly string[], kind: string) => {
    if (!names.includes(name)) problems.push(`${field}: "${name}" is not an ${kind} of ${manifest.files.model.path} (it has ${names.join(", ") || "none"})`);
  };
  need("input.inputName", manifest.input.inputName, graph.inputNames, "input");
  need("input.outputName", manifest.input.outputName, graph.outputNames, "output");
  const adapterInputs = graph.inputNames.filter((n) => n !== manifest.input.inputName);
  manifest.adapters.slots.forEach((s, i) => {
    need(`adapters.slots.${i}.inputA`, s.inputA, adapterInputs, "input");
    need(`adapters.slots.${i}.inputB`, s.inputB, adapterInputs, "input");
  });
  const fed = new Set([manifest.input.inputName, ...manifest.adapters.slots.flatMap((s) => [s.inputA, s.inputB])]);
  const unfed = graph.inputNames.filter((n) => !fed.has(n));
  if (unfed.length) problems.push(`adapters.slots: the graph has inputs the manifest does not describe (${unfed.join(", ")}), so the model cannot be run`);
  if (problems.length) throw new ManifestError(`manifest.json does not match ${manifest.files.model.path} — ${problems.join("; ")}`);
}

/**
 * A shipped adapter's two files (adapter_config.json, adapter_model.safetensors), each checked
 * against the manifest's checksum when it lists one.
 */
export async function readShippedAdapter(read: ReadModelFile, manifest: Manifest, name: string): Promise<{ config: Uint8Array; weights: Uint8Array }> {
  const shipped = manifest.adapters.shipped.find((a) => a.name === name);
  if (!shipped) throw new ManifestError(`${manifest.id} ships no adapter named ${name}`);
  const dir = shipped.path.replace(/\/?$/, "/");
  const file = (f: string, ref?: { sha256: string }) => (ref ? readChecked(read, { path: `${dir}${f}`, sha256: ref.sha256 }) : read(`${dir}${f}`));
  const [config, weights] = await Promise.all([file("adapter_config.json", shipped.files?.config), file("adapter_model.safetensors", shipped.files?.weights)]);
  return { config, weights };
}
