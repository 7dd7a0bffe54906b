/** What every command shares: option parsing, reading files and the model, starting onnxruntime-node. */
import { readFile, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadAdapter, type Adapter } from "../core/adapters";
import { isDicom } from "../core/dicom";
import { readVolume } from "../core/io";
import { checkGraphNames, loadModel, readShippedAdapter, sha256Hex, type LoadedModel, type Manifest } from "../core/manifest";
import { ConventionError, conventionsOf, guessConvention, labelValues, resolveConvention, type Convention } from "../core/metrics/conventions";
import type { InferenceRunner } from "../core/pipeline/runner";
import { enabledOptions, InferenceOptionError } from "../core/pipeline/segment";
import { VolumeError, type Volume } from "../core/volume/types";
import { createNodeRunner } from "../runtime/ort-node";
import { readDicomFolder } from "./dicom";
import { modelFolderReader } from "./model-folder";
import { describeFsError, RuntimeError, UsageError } from "./errors";

/** The package root is two levels above src/cli, wherever the checkout lives. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DEFAULT_MODEL_DIR = join(PACKAGE_ROOT, "public/models/siteseg-tissue");

/**
 * Turns --adapter into tensors for the model: "none", a shipped adapter's name (the manifest's
 * list), or a folder holding adapter_config.json and adapter_model.safetensors.
 */
export async function resolveAdapter(value: string | undefined, modelDir: string, manifest: Manifest): Promise<Adapter | null> {
  if (value === undefined || value === "none") return null;
  const shipped = manifest.adapters.shipped.find((a) => a.name === value);
  if (shipped) {
    const { config, weights } = await readShippedAdapter(modelFolderReader(modelDir, (p) => readBytes(p, "adapter file")), manifest, shipped.name).catch((e: unknown) => {
      throw new RuntimeError(`--adapter ${value}: ${(e as Error).message}`);
    });
    return { ...loadAdapter(shipped.name, config, weights, manifest), sha256: await sha256Hex(weights) };
  }
  const dir = resolve(value);
  const read = async (file: string) => {
    try {
      return new Uint8Array(await readFile(join(dir, file)));
    } catch {
      const names = manifest.adapters.shipped.map((a) => a.name).join(", ") || "none";
      throw new UsageError(`--adapter ${value}: neither a shipped adapter (${names}) nor a folder with ${file}`);
    }
  };
  const [config, weights] = await Promise.all([read("adapter_config.json"), read("adapter_model.safetensors")]);
  return { ...loadAdapter(basename(dir), config, weights, manifest), sha256: await sha256Hex(weights) };
}

export const modelDirOf = (option: string | undefined) => resolve(option ?? DEFAULT_MODEL_DIR);

/** What parseArgs gives for these options (named, so that declarations can refer to it). */
export type Parsed<O extends ParseArgsConfig["options"], P extends boolean> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: P }>>;

/**
 * `--shard -1/3` as `--shard=-1/3`: a value that starts with "-" but is no option of the command
 * goes to its option, whose own check then says what is wrong with it (node's parseArgs refuses
 * it as "ambiguous", naming no reason).
 */
function joinDashValues(args: string[], options: NonNullable<ParseArgsConfig["options"]>): string[] {
  const known = (a: string) => a === "--" || (a.startsWith("--") ? Object.hasOwn(options, a.slice(2).split("=")[0]) : Object.values(options).some((o) => o.short !== undefined && a === `-${o.short}`));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i], next = args[i + 1];
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : null;
    if (name !== null && Object.hasOwn(options, name) && options[name].type === "string" && next !== undefined && next.startsWith("-") && !known(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function parseWith<O extends ParseArgsConfig["options"], P extends boolean>(args: string[], options: O, allowPositionals: P): Parsed<O, P> {
  try {
    return parseArgs({ args: joinDashValues(args, options ?? {}), options, strict: true, allowPositionals });
  } catch (e) {
    // node's messages run on with advice about "--"; the first sentence is the useful part
    throw new UsageError((e as Error).message.split(/\.\s/)[0]);
  }
}

export function parse<O extends ParseArgsConfig["options"]>(args: string[], options: O): Parsed<O, false>["values"] {
  return parseWith(args, options, false).values;
}

/** Options plus the bare arguments (files) of commands that take them. */
export function parseWithFiles<O extends ParseArgsConfig["options"]>(args: string[], options: O): { values: Parsed<O, true>["values"]; files: string[] } {
  const { values, positionals } = parseWith(args, options, true);
  return { values, files: positionals };
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing required option --${flag}`);
  return value;
}

export function parseThreads(value: string | undefined): number {
  if (value === undefined) return Math.max(1, Math.min(4, availableParallelism()));
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads must be a positive whole number, got "${value}"`);
  return n;
}

/** A fresh ArrayBuffer-backed view: readers may build DataViews over `.buffer` from offset 0. */
export function ownBytes(buf: Buffer): Uint8Array {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? new Uint8Array(buf.buffer) : Uint8Array.from(buf);
}

/** True for a folder; false for a file or a path that does not exist (reading it then says why). */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The file's bytes; a failure says "cannot read WHAT PATH: reason" (`what` may be empty). */
export async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return ownBytes(await readFile(path));
  } catch (e) {
    throw describeFsError(e, `read ${what ? `${what} ` : ""}${path}`) ?? e;
  }
}

/** The model folder's files by their manifest path, none outside it (symbolic links followed and checked). */
export const modelFiles = (dir: string) => modelFolderReader(dir, (p) => readBytes(p, "model file"));

export async function readModel(dir: string): Promise<LoadedModel> {
  return loadModel(modelFiles(dir));
}

/** One onnxruntime-node session for the model; dispose it when done. */
export async function startRunner(modelDir: string, { manifest, onnx }: LoadedModel, threads: number): Promise<InferenceRunner & { dispose(): Promise<void> }> {
  const runner = await createNodeRunner(onnx, threads).catch((e: unknown) => {
    throw new RuntimeError(`onnxruntime cannot load ${join(modelDir, manifest.files.model.path)}: ${(e as Error).message}`);
  });
  try {
    checkGraphNames(manifest, runner);
  } catch (e) {
    await runner.dispose();
    throw new RuntimeError(`${modelDir}: ${(e as Error).message}`);
  }
  return runner;
}

/**
 * Any failure to decode a file becomes one line naming the file: corrupt input is not a bug. A
 * folder (or a single DICOM file) is read as a DICOM series, converted by dcm2niix.
 */
export async function readScan(path: string, what: string, frame = 0): Promise<Volume> {
  return (await readScanFile(path, what, frame)).volume;
}

/**
 * readScan, with the scan's name and the bytes it was read from, as the app has them (mask
 * provenance): a file's name and bytes; for DICOM, the series' name and the NIfTI dcm2niix made.
 */
export async function readScanFile(path: string, what: string, frame = 0): Promise<{ volume: Volume; name: string; bytes: Uint8Array }> {
  if (await isFolder(path)) return readDicomFolder(path, what);
  const bytes = await readBytes(path, what);
  if (isDicom(bytes)) return readDicomFolder(path, what, [{ name: basename(path), bytes }]);
  try {
    // readVolume prefixes its messages with the name it is given: give it the path as typed
    return { volume: readVolume(bytes, path, frame), name: basename(path), bytes };
  } catch (e) {
    if (e instanceof VolumeError) throw new RuntimeError(`cannot read ${what} ${e.message}`);
    throw new RuntimeError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** --convention among the model's (by the manifest's class names), or guessed from the reference's values. */
export function conventionFor(given: string | undefined, reference: Volume, manifest: Manifest): { convention: Convention; guessed: boolean } {
  if (given === undefined) return { convention: resolveConvention(manifest, guessConvention(labelValues(reference.data), conventionsOf(manifest))), guessed: true };
  try {
    return { convention: resolveConvention(manifest, given), guessed: false };
  } catch (e) {
    if (e instanceof ConventionError) throw new UsageError(`--convention: ${e.message}`);
    throw e;
  }
}

/**
 * --options a,b | none: the manifest's inference options to run (its defaults when absent);
 * --no-cleanup: the same less its mask cleanup (the model's mask as it came).
 */
export function parseInferenceOptions(value: string | undefined, manifest: Manifest, noCleanup = false): string[] | undefined {
  if (value === undefined && !noCleanup) return undefined;
  const ids = value === undefined ? undefined : value === "none" ? [] : value.split(",").map((s) => s.trim()).filter(Boolean);
  try {
    const on = enabledOptions(manifest, ids);
    if (!noCleanup) return ids;
    if (!manifest.inference.options.some((o) => o.kind === "cleanup")) throw new UsageError(`--no-cleanup: ${manifest.name} declares no mask cleanup`);
    return on.filter((o) => o.kind !== "cleanup").map((o) => o.id);
  } catch (e) {
    if (e instanceof InferenceOptionError) throw new UsageError(`--options: ${e.message}`);
    throw e;
  }
}
