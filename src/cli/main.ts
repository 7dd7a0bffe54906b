import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ParseArgsConfig } from "node:util";
import type { Adapter } from "../core/adapters";
import { diceReport, maskProvenance, roundTo } from "../core/export";
import { writeNifti } from "../core/io";
import type { Manifest } from "../core/manifest";
import { alignReference, evaluateAligned, excludedNote, hd95Task, type Holdout } from "../core/metrics/evaluate";
import { drain } from "../core/metrics/hausdorff";
import { tissueOutsideReference } from "../core/metrics/outside";
import { segmentSelfAdapting, SelfAdaptError } from "../core/adapt/self";
import { loadTrainStep, sha256Hex } from "../core/manifest";
import { segment, type SegmentResult } from "../core/pipeline/segment";
import { cleanupSummary } from "../core/postprocess/cleanup";
import { createNodeRunner } from "../runtime/ort-node";
import type { SessionRunner } from "../runtime/session";
import { voxelVolumeMl } from "../core/volume/affine";
import type { Volume } from "../core/volume/types";
import { modelDirOf, parse, conventionFor, parseInferenceOptions, parseThreads, modelFiles, readBytes, readModel, readScan, readScanFile, required, resolveAdapter, startRunner } from "./common";
import { classify, RuntimeError, UsageError } from "./errors";
import { checkOutputs, filesIn, writeOutputs, type Output } from "./outputs";
import { EVALUATE_HELP, evaluationTable, MAIN_HELP, SEGMENT_HELP } from "./format";
import { adaptCommand } from "./adapt";
import { mergeCommand, studyCommand } from "./study";

export { DEFAULT_MODEL_DIR, resolveAdapter } from "./common";

const COMMON_OPTIONS = {
  image: { type: "string" },
  volume: { type: "string" },
  model: { type: "string" },
  adapter: { type: "string" },
  threads: { type: "string" },
  options: { type: "string" },
  "no-cleanup": { type: "boolean" },
  out: { type: "string" },
  "no-provenance": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const EVALUATE_OPTIONS = {
  ...COMMON_OPTIONS,
  label: { type: "string" },
  convention: { type: "string" },
  axis: { type: "string" },
  holdout: { type: "string" },
} as const satisfies ParseArgsConfig["options"];

/**
 * The training slices an adapter records, to score only the others (--holdout NAME|PATH). An
 * adapter learnt from several cases records each one's file sha256 and slices: the scan's own
 * case gives its slices; a scan it never trained on is scored whole (null).
 */
function holdoutOf(adapter: Adapter | null, imageSha256: string): Holdout | null {
  const cases = adapter?.config.training_cases as { sha256: string[]; axis: number; indices: number[] }[] | undefined;
  if (Array.isArray(cases)) {
    const own = cases.find((c) => c.sha256.includes(imageSha256));
    const gap = (adapter?.config.training_slices as Partial<Holdout> | undefined)?.gap ?? 5;
    return own ? { axis: own.axis, indices: own.indices, gap } : null;
  }
  const t = adapter?.config.training_slices as Partial<Holdout> | undefined;
  if (!t || typeof t.axis !== "number" || !Array.isArray(t.indices) || typeof t.gap !== "number") {
    throw new UsageError(`--holdout: adapter ${adapter?.name ?? ""} does not record its training_slices in adapter_config.json`);
  }
  return { axis: t.axis, indices: t.indices, gap: t.gap };
}

function parseOutPath(value: string | undefined): string | undefined {
  if (value !== undefined && !/\.nii(\.gz)?$/i.test(value)) throw new UsageError(`--out must end in .nii or .nii.gz, got "${value}"`);
  return value;
}

/** Where a mask's provenance record goes: beside it, as <mask stem>.json (the app's Save mask names them so too). */
const provenancePathOf = (mask: string) => mask.replace(/\.nii(\.gz)?$/i, ".json");

/** The mask (--out) and, unless --no-provenance, its provenance record beside it: the outputs checked before any work. */
function maskOutputs(out: string | undefined, noProvenance: boolean | undefined): Output[] {
  if (out === undefined) return [];
  return [{ flag: "--out", path: out }, ...(noProvenance ? [] : [{ flag: "--out's provenance record", path: provenancePathOf(out) }])];
}

/** The files a segmentation reads, for checkOutputs: the scan (and reference), the model folder's files, an adapter folder's. */
async function inputsOf(paths: (string | undefined)[], modelDir: string, adapterValues: (string | undefined)[]): Promise<string[]> {
  const adapterDirs = adapterValues.filter((a): a is string => a !== undefined && a !== "none").map((a) => resolve(a));
  return [...paths.filter((p): p is string => p !== undefined), ...(await filesIn(modelDir, ...adapterDirs))];
}

const PACKAGE_JSON = resolve(dirname(fileURLToPath(import.meta.url)), "../../package.json");
/** The version the app records (vite's __APP_VERSION__ is package.json's). */
async function appVersion(): Promise<string> {
  return readFile(PACKAGE_JSON, "utf8").then((t) => String((JSON.parse(t) as { version?: unknown }).version ?? "unknown"), () => "unknown");
}

/**
 * Writes the mask (gzipped when its name ends in .gz) and, unless `noProvenance`, the app's
 * provenance record beside it (maskProvenance, as the app's Save mask writes it), both whole or
 * neither. Returns the record's path, or null.
 */
async function writeMask(out: string, s: Segmented, noProvenance: boolean | undefined): Promise<string | null> {
  const { manifest, adapter, result, input } = s;
  const bytes = writeNifti(result.labels, { gzip: /\.gz$/i.test(out), description: `siteseg ${manifest.id} ${manifest.version}${adapter ? ` + ${adapter.name}` : ""}` });
  if (noProvenance) {
    await writeOutputs([{ path: out, data: bytes }]);
    return null;
  }
  const record = await maskProvenance({
    file: basename(out),
    labels: result.labels,
    classes: manifest.classes,
    input: { name: input.name, sha256: await sha256Hex(input.bytes) },
    model: { id: manifest.id, name: manifest.name, version: manifest.version, sha256: manifest.files.model.sha256 },
    // resolveAdapter always hashes the weights; the app, too, records an adapter with its sha256
    adapter: adapter?.sha256 ? { name: adapter.name, sha256: adapter.sha256 } : null,
    backend: result.backend,
    inferenceOptions: result.options,
    timings: result.ms,
    cleanup: result.cleanup ?? null,
    appVersion: await appVersion(),
    date: new Date(),
  });
  const path = provenancePathOf(out);
  // indented as the app's download (components/download.ts jsonBlob)
  await writeOutputs([{ path: out, data: bytes }, { path, data: JSON.stringify(record, null, 2) + "\n" }]);
  return path;
}

interface Segmented {
  manifest: Manifest;
  adapter: Adapter | null;
  result: SegmentResult;
  readMs: number;
  /** The scan's name and the bytes it was read from (a DICOM series: the NIfTI converted from it), for the mask's provenance. */
  input: { name: string; bytes: Uint8Array };
}

/** Shared by both commands: read the scan and model, run the pipeline on the CPU. */
async function runSegmentation(opts: { image: string; volume?: string; model?: string; adapter?: string; threads?: string; options?: string; "no-cleanup"?: boolean }, extraRead?: (manifest: Manifest) => Promise<void>): Promise<Segmented & { scan: Volume }> {
  const threads = parseThreads(opts.threads);
  const modelDir = modelDirOf(opts.model);
  const t0 = performance.now();
  // the user's own files first: their mistakes are the likelier ones
  const frame = opts.volume === undefined ? 0 : Number(opts.volume) - 1;
  if (!Number.isInteger(frame) || frame < 0) throw new UsageError(`--volume must be a whole number from 1, got "${opts.volume}"`);
  const { volume: scan, name, bytes } = await readScanFile(opts.image, "image", frame);
  const model = await readModel(modelDir);
  const { manifest } = model;
  await extraRead?.(manifest);
  const options = parseInferenceOptions(opts.options, manifest, opts["no-cleanup"]);
  const adapter = await resolveAdapter(opts.adapter, modelDir, manifest);
  const runner = await startRunner(modelDir, model, threads);
  const readMs = performance.now() - t0;
  let trainStep: SessionRunner | null = null;
  try {
    // a selfAdapt option trains on the model's own mask, with the training graph opened on first use
    const { result } = await segmentSelfAdapting({ ...scan, name: basename(opts.image) }, manifest, (o) => segment(scan, manifest, runner, o), {
      model: () => runner,
      trainStep: async () => (trainStep ??= await createNodeRunner(await loadTrainStep(modelFiles(modelDir), manifest).catch((e: unknown) => {
        throw new RuntimeError((e as Error).message);
      }), threads)),
    }, { adapterFeeds: adapter?.feeds, options });
    // never a silent success: also in --json as "warnings"
    for (const w of result.warnings) process.stderr.write(`siteseg: warning: ${w}\n`);
    for (const note of result.skipped) process.stderr.write(`siteseg: note: ${note}\n`);
    if (result.cleanup) process.stderr.write(`siteseg: cleanup: ${cleanupSummary(result.cleanup)}\n`);
    return { manifest, adapter, result, readMs, scan, input: { name, bytes } };
  } catch (e) {
    if (e instanceof SelfAdaptError) throw new UsageError(`--options: ${e.message.replace("choose no site adapter", "leave out --adapter")}`);
    throw e;
  } finally {
    await (trainStep as SessionRunner | null)?.dispose();
    await runner.dispose();
  }
}

const roundMs = (ms: Record<string, number>) => Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, roundTo(v, 1)]));
/** The pipeline's stage timings, without its own total (the commands report their whole run). */
const stages = ({ preprocess, inference, postprocess }: SegmentResult["ms"]) => ({ preprocess, inference, postprocess });

async function segmentCommand(args: string[]): Promise<number> {
  const start = performance.now();
  const o = parse(args, COMMON_OPTIONS);
  if (o.help) return help(SEGMENT_HELP);
  const image = required(o.image, "image");
  const out = required(parseOutPath(o.out), "out");
  // where it writes, before any work: not over the scan, the model or the adapter, into a folder that exists
  await checkOutputs(maskOutputs(out, o["no-provenance"]), await inputsOf([image], modelDirOf(o.model), [o.adapter]));
  const segmented = await runSegmentation({ ...o, image });
  const { manifest, adapter, result, readMs } = segmented;
  const provenance = await writeMask(out, segmented, o["no-provenance"]);
  const total = performance.now() - start;
  process.stderr.write(`siteseg: ${result.slices} slices on ${result.backend} in ${(total / 1000).toFixed(1)} s → ${out}${provenance ? ` (provenance: ${provenance})` : ""}\n`);
  if (o.json) {
    const ms = roundMs({ read: readMs, ...stages(result.ms), total });
    const json = { model: manifest.id, modelVersion: manifest.version, adapter: adapter?.name ?? null, backend: result.backend, options: result.options, skipped: result.skipped, passes: result.passes, selfAdapted: result.selfAdapted ?? null, cleanup: result.cleanup ?? null, image, out, provenance, slices: result.slices, warnings: result.warnings, ms };
    process.stdout.write(JSON.stringify(json) + "\n");
  }
  return 0;
}

function parseAxis(value: string | undefined): 0 | 1 | 2 {
  if (value === undefined) return 2;
  if (value !== "0" && value !== "1" && value !== "2") throw new UsageError(`--axis must be 0, 1 or 2, got "${value}"`);
  return Number(value) as 0 | 1 | 2;
}


async function evaluateCommand(args: string[]): Promise<number> {
  const start = performance.now();
  const o = parse(args, EVALUATE_OPTIONS);
  if (o.help) return help(EVALUATE_HELP);
  const image = required(o.image, "image");
  const labelPath = required(o.label, "label");
  const out = parseOutPath(o.out);
  const axis = parseAxis(o.axis);
  await checkOutputs(maskOutputs(out, o["no-provenance"]), await inputsOf([image, labelPath], modelDirOf(o.model), [o.adapter, o.holdout]));
  let reference: Volume | undefined;
  let chosen: ReturnType<typeof conventionFor> | undefined;
  // the reference and its convention are checked before the model runs
  const segmented = await runSegmentation({ ...o, image }, async (m) => {
    reference = await readScan(labelPath, "label");
    chosen = conventionFor(o.convention, reference, m);
  });
  if (!reference || !chosen) throw new Error("reference was not read");
  const { manifest, adapter, result, readMs } = segmented;
  const { convention, guessed } = chosen;
  if (out) await writeMask(out, segmented, o["no-provenance"]);

  const t0 = performance.now();
  const classNames = manifest.classes.map((c) => c.name);
  // The same held-out slices for the base and the adapter make the two comparable.
  const heldBy = o.holdout ? await resolveAdapter(o.holdout, modelDirOf(o.model), manifest) : null;
  // only an adapter of several cases needs to know which case this scan is (a DICOM folder is none of them)
  const imageSha = Array.isArray(heldBy?.config.training_cases) ? await readBytes(image, "image").then(sha256Hex, () => "") : "";
  const holdout = heldBy ? holdoutOf(heldBy, imageSha) ?? undefined : undefined;
  if (o.holdout && !holdout) process.stderr.write(`siteseg: note: adapter ${o.holdout} was not trained on ${image}: every slice is scored\n`);
  const aligned = alignReference(reference, result.labels, convention);
  const ev = evaluateAligned(result.labels, aligned, convention.id, classNames, holdout?.axis ?? axis, holdout);
  // HD95 on the same scored voxels as Dice (excluded labels, held-out slices and uncovered voxels left out)
  const t1 = performance.now();
  ev.hd95Mm = drain(hd95Task(result.labels, aligned, classNames, holdout));
  // a reference mostly unknown to the convention: the app's warning (core/metrics unknownLabelsWarning), never silent
  const warnings = [...result.warnings, ...(ev.conventionWarning ? [ev.conventionWarning] : [])];
  if (ev.conventionWarning) process.stderr.write(`siteseg: warning: ${ev.conventionWarning}\n`);
  const hd95Ms = performance.now() - t1;
  // tissue called where the reference has no brain near (the cleanup's measure, issue 27)
  const outside = tissueOutsideReference(result.labels, reference);
  const evaluateMs = performance.now() - t0;
  const ms = roundMs({ read: readMs, ...stages(result.ms), evaluate: evaluateMs, hd95: hd95Ms, total: performance.now() - start });

  const report = diceReport({ model: manifest, adapter: adapter?.name ?? null, image, label: labelPath, evaluation: ev, classNames, voxelMl: voxelVolumeMl(result.labels.affine) });
  if (o.json) {
    const json = { ...report, backend: result.backend, options: result.options, skipped: result.skipped, passes: result.passes, selfAdapted: result.selfAdapted ?? null, cleanup: result.cleanup ?? null, outsideReference: { ...outside, ml: roundTo(outside.ml, 3) }, warnings, ...(ev.scoredSlices ? { holdout: { ...holdout, scoredSlices: ev.scoredSlices } } : {}), ms };
    process.stdout.write(JSON.stringify(json) + "\n");
    return 0;
  }
  const rows = Object.entries(report.volumesMl).map(([name, v]) => ({ name, dice: ev.dice[name], predictedMl: v.predicted, referenceMl: v.reference, volumeErrorPct: report.volumeErrorPct[name], hd95Mm: report.hd95Mm[name] }));
  const lines = [
    `model       ${manifest.id} ${manifest.version}, adapter ${adapter?.name ?? "none"}`,
    `backend     ${result.backend}, ${result.slices} slices${result.passes > 1 ? ` × ${result.passes} passes (${result.options.join(", ")})` : ""}, ${(ms.total / 1000).toFixed(1)} s (inference ${(ms.inference / 1000).toFixed(1)} s)`,
    `reference   ${labelPath}: ${convention.id} convention${guessed ? " (guessed)" : ""}${ev.resampled ? ", resampled onto the scan's grid" : ""}`,
    ...(ev.coverage < 0.999 ? [`coverage    the reference covers ${(ev.coverage * 100).toFixed(1)}% of the scan; scored there only`] : []),
    ...(ev.ignored.voxels ? [`ignored     ${ev.ignored.voxels} voxels with labels ${ev.ignored.labels.slice(0, 6).join(", ")}${ev.ignored.labels.length > 6 ? ", …" : ""} unknown to the convention (background)`] : []),
    ...(ev.excluded.voxels ? [`excluded    ${excludedNote(ev.excluded)}`] : []),
    ...(ev.undefinedReason ? [`note        ${ev.undefinedReason}`] : []),
    "",
    evaluationTable(rows, ev.meanDice),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  segment: segmentCommand,
  evaluate: evaluateCommand,
  study: studyCommand,
  merge: mergeCommand,
  adapt: adaptCommand,
};

/** Runs one command line; returns the exit code. Known errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) throw new UsageError("missing command (segment, evaluate, study, merge or adapt)");
    if (command === "--help" || command === "-h" || command === "help") return help(MAIN_HELP);
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!run) throw new UsageError(`unknown command "${command}" (expected segment, evaluate, study, merge or adapt)`);
    return await run(rest);
  } catch (e) {
    const { code, message, known } = classify(e);
    process.stderr.write(`siteseg: ${message}\n`);
    if (code === 2) process.stderr.write("Run 'siteseg --help' for usage.\n");
    if (!known && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return code;
  }
}
