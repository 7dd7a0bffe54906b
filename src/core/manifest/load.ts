import { withBaseNorms } from "../adapters/scale";
import { sha256Hex } from "../sha256";
import { folderPath, ManifestError, parseManifest, type Manifest } from "./schema";

/**
 * Reads a file of the model folder by its path relative to the manifest (fetch in the browser, fs in
 * Node). The paths it is given are normalised and inside the folder (folderPath); one that leads out
 * all the same (Node: a symbolic link) is refused with an OutsideFolderError before any byte is read.
 */
export type ReadModelFile = (path: string) => Promise<Uint8Array>;

/** A reader's refusal of a path that resolves outside the model folder: the manifest field is added by the caller. */
export class OutsideFolderError extends ManifestError {}

/**
 * The manifest's path `path` (field `field`) normalised, refused when it could lead out of the model
 * folder; a file's path (not `folder`) must name a file in it, not the folder itself ("", ".").
 */
export function pathInFolder(field: string, path: string, folder = false): string {
  const r = folderPath(path);
  if ("problem" in r) throw new ManifestError(`${field}: ${r.problem}`);
  if (!folder && !r.path) throw new ManifestError(`${field}: ${JSON.stringify(path)} names the model folder itself, not a file in it`);
  return r.path;
}

/** `read`, with a refusal of a path outside the folder naming the manifest's field. */
async function readField(read: ReadModelFile, field: string, path: string): Promise<Uint8Array> {
  try {
    return await read(path);
  } catch (e) {
    if (e instanceof OutsideFolderError) throw new ManifestError(`${field}: ${e.message}`);
    throw e;
  }
}

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

/**
 * A model file's bytes, refused when its checksum differs from the manifest's, or (before reading)
 * when its path leads out of the model folder; `field` names the path's place in the manifest.
 */
export async function readChecked(read: ReadModelFile, file: { path: string; sha256: string }, field = "path"): Promise<Uint8Array> {
  const bytes = await readField(read, field, pathInFolder(field, file.path));
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
  const onnx = await readChecked(read, manifest.files.model, "files.model.path");
  // the base's weights, which an adapter's change is measured against (buildAdapter)
  return { manifest: withBaseNorms(manifest, onnx), onnx };
}

/** The model's training-step graph, checked like the model; an error when the model ships none. */
export async function loadTrainStep(read: ReadModelFile, manifest: Manifest): Promise<Uint8Array> {
  const file = manifest.files.trainStep;
  if (!file) throw new ManifestError(`model ${manifest.id} ${manifest.version} ships no training graph (files.trainStep), so adapters for it cannot be trained here`);
  return readChecked(read, file, "files.trainStep.path");
}

/**
 * A graph input or output as onnxruntime describes it (a session's inputMetadata / outputMetadata):
 * each dimension a number, or a name or a negative number when the graph leaves it free.
 */
export interface GraphValue {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** What checkGraph reads of an opened model: its tensor names and, where the runtime gives them, their shapes. */
export interface GraphInfo {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly GraphValue[];
  readonly outputMetadata?: readonly GraphValue[];
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(", ")}]`;

/**
 * The manifest against the ONNX graph, when the model opens (onnxruntime reads names and shapes
 * then): a wrong tensor name, channel count, class count or adapter slot would otherwise fail only
 * at the first run, with onnxruntime's own words. Dimensions the graph leaves free always fit.
 */
export function checkGraphNames(manifest: Manifest, graph: GraphInfo): void {
  const problems: string[] = [];
  const model = manifest.files.model.path;
  const need = (field: string, name: string, names: readonly string[], kind: string) => {
    if (!names.includes(name)) problems.push(`${field}: "${name}" is not an ${kind} of ${model} (it has ${names.join(", ") || "none"})`);
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

  /**
   * A float32 tensor of `expected`'s rank, each fixed dimension equal to the expected one (null:
   * any); `field` and `what` say which manifest value sets the shape. Absent metadata: nothing to check.
   */
  const fits = (values: readonly GraphValue[] | undefined, name: string, expected: readonly (number | null)[], field: string, what: string) => {
    const v = values?.find((m) => m.name === name);
    if (!v) return;
    if (!v.isTensor || (v.type !== undefined && v.type !== "float32")) return problems.push(`${field}: "${name}" of ${model} is ${v.isTensor ? `a ${v.type} tensor` : "not a tensor"}; it must be float32`);
    const shape = v.shape ?? [];
    if (!shape.length) return; // rank unknown
    const fixed = (d: number | string) => typeof d === "number" && d >= 0;
    const ok = shape.length === expected.length && shape.every((d, i) => !fixed(d) || expected[i] === null || d === expected[i]);
    if (!ok) problems.push(`${field}: "${name}" of ${model} has shape ${shapeText(shape)}, but ${what} ${shapeText(expected.map((d) => d ?? "any"))}`);
  };
  const { input } = manifest;
  const channels = 2 * input.contextSlices + 1;
  fits(graph.inputMetadata, input.inputName, [null, channels, null, null], "input.contextSlices", `${input.contextSlices} context slices on each side feed ${channels} channels:`);
  fits(graph.outputMetadata, input.outputName, [null, manifest.classes.length, null, null], "classes", `the manifest's ${manifest.classes.length} classes need one channel each:`);
  // slices go in batches of up to batchSize (fewer at the end), cropped to the scan: batch, height and width must be free
  const fixedDims = (values: readonly GraphValue[] | undefined, name: string) => {
    const shape = values?.find((m) => m.name === name)?.shape ?? [];
    return shape.length === 4 && [0, 2, 3].some((i) => typeof shape[i] === "number" && (shape[i] as number) >= 0 && !(i === 0 && shape[i] === 1 && input.batchSize === 1));
  };
  for (const [values, name, field] of [[graph.inputMetadata, input.inputName, "input.inputName"], [graph.outputMetadata, input.outputName, "input.outputName"]] as const) {
    if (fixedDims(values, name)) problems.push(`${field}: "${name}" of ${model} has shape ${shapeText(values!.find((m) => m.name === name)!.shape!)}; the batch, height and width must be free (batches of up to input.batchSize slices, each cropped to the scan): export it with dynamic axes`);
  }
  const R = manifest.adapters.maxRank;
  manifest.adapters.slots.forEach((s, i) => {
    const [a, b] = s.kernel ? [[R, s.inFeatures, ...s.kernel], [s.outFeatures, R, 1, 1]] : [[R, s.inFeatures], [s.outFeatures, R]];
    fits(graph.inputMetadata, s.inputA, a, `adapters.slots.${i}`, `the slot (rank adapters.maxRank, inFeatures${s.kernel ? ", kernel" : ""}) feeds`);
    fits(graph.inputMetadata, s.inputB, b, `adapters.slots.${i}`, `the slot (outFeatures, rank adapters.maxRank${s.kernel ? ", 1, 1" : ""}) feeds`);
  });
  if (problems.length) throw new ManifestError(`manifest.json does not match ${model} — ${problems.join("; ")}`);
}

/**
 * A shipped adapter's two files (adapter_config.json, adapter_model.safetensors), each checked
 * against the manifest's checksum when it lists one.
 */
export async function readShippedAdapter(read: ReadModelFile, manifest: Manifest, name: string): Promise<{ config: Uint8Array; weights: Uint8Array }> {
  const index = manifest.adapters.shipped.findIndex((a) => a.name === name);
  if (index < 0) throw new ManifestError(`${manifest.id} ships no adapter named ${name}`);
  const shipped = manifest.adapters.shipped[index];
  const field = `adapters.shipped.${index}.path`;
  const dir = pathInFolder(field, shipped.path, true);
  const file = (f: string, ref?: { sha256: string }) => {
    const path = dir ? `${dir}/${f}` : f;
    return ref ? readChecked(read, { path, sha256: ref.sha256 }, field) : readField(read, field, path);
  };
  const [config, weights] = await Promise.all([file("adapter_config.json", shipped.files?.config), file("adapter_model.safetensors", shipped.files?.weights)]);
  return { config, weights };
}
