/** siteseg adapt: train a site's LoRA adapter from a scan and its reference, with core/adapt and onnxruntime-node. */
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { adaptSite, TRAIN_DEFAULTS, type AdaptCase } from "../core/adapt";
import { conventionsOf } from "../core/metrics/conventions";
import type { StudyCase } from "../core/study";
import { loadTrainStep, sha256Hex } from "../core/manifest";
import { segment } from "../core/pipeline/segment";
import { formatDice, formatGain } from "../core/study";
import { createNodeRunner } from "../runtime/ort-node";
import { modelDirOf, parse, conventionFor, parseThreads, modelFiles, readBytes, readModel, readScan, required, startRunner } from "./common";
import { describeFsError, RuntimeError, UsageError } from "./errors";
import { ADAPT_HELP } from "./format";
import { checkOutputFolder, checkOutputs, filesIn, makeOutputFolder, writeOutputs } from "./outputs";
import { loadCases } from "./study";

const ADAPT_OPTIONS = {
  image: { type: "string", multiple: true },
  cases: { type: "string" },
  "train-on": { type: "string" },
  label: { type: "string" },
  convention: { type: "string" },
  slices: { type: "string" },
  "n-slices": { type: "string" },
  gap: { type: "string" },
  rank: { type: "string" },
  alpha: { type: "string" },
  steps: { type: "string" },
  lr: { type: "string" },
  seed: { type: "string" },
  "weight-decay": { type: "string" },
  freeze: { type: "string" },
  anchor: { type: "string" },
  zoom: { type: "string" },
  "gain-jitter": { type: "string" },
  site: { type: "string" },
  description: { type: "string" },
  out: { type: "string" },
  model: { type: "string" },
  threads: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

function number(value: string | undefined, flag: string, fallback: number, check: (n: number) => boolean, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${flag} must be ${what}, got "${value}"`);
  return n;
}
const whole = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

export async function adaptCommand(args: string[]): Promise<number> {
  const start = performance.now();
  const o = parse(args, ADAPT_OPTIONS);
  if (o.help) {
    process.stdout.write(ADAPT_HELP);
    return 0;
  }
  if (o.cases !== undefined && (o.image?.length || o.label !== undefined)) throw new UsageError("give --cases or --image/--label, not both");
  if (o["train-on"] !== undefined && o.cases === undefined) throw new UsageError("--train-on picks cases of --cases");
  const out = required(o.out, "out");
  // the adapter's folder: made at the end, in a folder that exists now (refused before any work otherwise)
  await checkOutputFolder("--out", out);
  const modelDir = modelDirOf(o.model);
  const model = await readModel(modelDir);
  const { manifest } = model;
  const listed = o.cases !== undefined ? await casesToTrainOn(o.cases, o["train-on"], o.site, conventionsOf(manifest).map((c) => c.id)) : null;
  const imagePaths = listed ? [listed.cases[0].path] : (o.image ?? []);
  if (!imagePaths.length) throw new UsageError("missing required option --image (or --cases)");
  const labelPath = listed ? listed.cases[0].label : required(o.label, "label");
  const adapterFiles = ["adapter_config.json", "adapter_model.safetensors"].map((f) => join(out, f));
  if (existsSync(out)) {
    const inputs = listed ? [o.cases as string, ...listed.cases.flatMap((c) => [c.path, c.label])] : [...imagePaths, labelPath];
    await checkOutputs(adapterFiles.map((path) => ({ flag: "--out", path })), [...inputs, ...(await filesIn(modelDir))]);
  }
  if (o.slices !== undefined && o["n-slices"] !== undefined) throw new UsageError("give --slices or --n-slices, not both");
  if (o.slices !== undefined && listed && listed.cases.length > 1) throw new UsageError("--slices names one scan's slices; with several --cases, --n-slices (per case) chooses each case's");
  const slices = o.slices?.split(",").map((s) => number(s.trim(), "slices", 0, whole(0), "a comma-separated list of slice numbers"));
  const train = {
    rank: number(o.rank, "rank", TRAIN_DEFAULTS.rank, whole(1), "a whole number from 1"),
    alpha: number(o.alpha, "alpha", 2 * (o.rank ? Number(o.rank) : TRAIN_DEFAULTS.rank), (n) => n > 0, "positive"),
    steps: number(o.steps, "steps", TRAIN_DEFAULTS.steps, whole(1), "a whole number from 1"),
    lr: number(o.lr, "lr", TRAIN_DEFAULTS.lr, (n) => n > 0 && n < 1, "between 0 and 1"),
    seed: number(o.seed, "seed", TRAIN_DEFAULTS.seed, whole(0), "a whole number"),
    weightDecay: number(o["weight-decay"], "weight-decay", TRAIN_DEFAULTS.weightDecay, (n) => n >= 0, "0 or more"),
    anchor: number(o.anchor, "anchor", TRAIN_DEFAULTS.anchor, whole(0), "a whole number of batch items"),
    zoom: number(o.zoom, "zoom", TRAIN_DEFAULTS.zoom, (n) => n >= 0 && n <= 3, "0 (off) to 3"),
    gainJitter: number(o["gain-jitter"], "gain-jitter", TRAIN_DEFAULTS.gainJitter, (n) => n >= 0 && n < 1, "0 to below 1"),
    frozen: o.freeze ? o.freeze.split(",").map((m) => m.trim()).filter(Boolean) : TRAIN_DEFAULTS.frozen,
  };
  const nSlices = number(o["n-slices"], "n-slices", 10, whole(1), "a whole number from 1");
  const gap = number(o.gap, "gap", 5, whole(0), "a whole number");
  const threads = parseThreads(o.threads);

  // every case is read (and its convention settled) before any training: a bad one is named at once
  const read = async (c: Pick<StudyCase, "id" | "label" | "convention">, paths: string[], images = paths): Promise<AdaptCase> => {
    const named = listed ? ` (case ${c.id})` : "";
    try {
      const reference = await readScan(c.label, "label");
      return {
        id: c.id,
        scans: await Promise.all(paths.map((p) => readScan(p, "image"))),
        reference,
        convention: conventionFor(o.convention ?? c.convention, reference, manifest).convention.id,
        images,
        sourceSha256: await Promise.all(paths.map(async (p) => sha256Hex(await readBytes(p, "image")))),
      };
    } catch (e) {
      if (named && e instanceof Error) e.message = `${e.message}${named}`;
      throw e;
    }
  };
  const [head, ...moreCases] = listed
    ? await Promise.all(listed.cases.map((c) => read(c, [c.path], [c.image])))
    : [await read({ id: basename(imagePaths[0]).replace(/\.(nii(\.gz)?|mg[hz])$/i, ""), label: labelPath }, imagePaths)];
  const { reference, convention } = head;
  const [scan, ...moreScans] = head.scans;
  const trainStep = await createNodeRunner(await loadTrainStep(modelFiles(modelDir), manifest).catch((e: unknown) => {
    throw new RuntimeError((e as Error).message);
  }), threads);
  const runner = await startRunner(modelDir, model, threads);
  const site = o.site ?? listed?.site ?? basename(resolve(out));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const t0 = performance.now();
    const result = await adaptSite({
      caseId: head.id, scan, moreScans, moreCases, reference, convention, manifest, slices, nSlices, gap, train, trainStep, model: runner,
      segment: async (s, feeds) => (await segment(s, manifest, runner, { adapterFeeds: feeds })).labels,
      site, description: o.description ?? `trained with siteseg adapt on ${listed ? `${listed.cases.length} cases: ${listed.cases.map((c) => c.id).join(", ")}` : imagePaths.map((p) => basename(p)).join(", ")}`,
      images: head.images, sourceSha256: head.sourceSha256, tool: "siteseg adapt",
      onStep: (step, loss) => {
        if (step % 50 === 0 || step === train.steps) log(`step ${step}/${train.steps} loss ${loss.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      },
    });
    try {
      await makeOutputFolder(out);
      await writeOutputs([{ path: adapterFiles[0], data: result.files.config }, { path: adapterFiles[1], data: result.files.weights }]);
    } catch (e) {
      throw describeFsError(e, `write the adapter to ${out}`) ?? e;
    }
    for (const w of result.warnings) log(`siteseg: warning: ${w}`);
    if (listed) for (const c of result.cases) log(`trained on ${c.id}: scan slices ${c.indices.join(", ")} (axis ${c.axis})`);
    else log(`trained on scan slices ${result.holdout.indices.join(", ")} (axis ${result.holdout.axis}) of ${imagePaths.length} image${imagePaths.length > 1 ? "s" : ""}`);
    const scoredImages = result.cases.flatMap((c) => c.images);
    result.heldOut.forEach(({ base, adapter, slices: scored }, i) => {
      const gain = base !== null && adapter !== null ? adapter - base : null;
      const which = scoredImages.length > 1 ? ` ${listed ? result.cases.find((c) => c.images.includes(scoredImages[i]))?.id : basename(scoredImages[i])}` : "";
      process.stdout.write(`held-out mean Dice${which} (${scored} slices more than ${gap} away): base ${formatDice(base)} → adapter ${formatDice(adapter)} (${formatGain(gain)})\n`);
    });
    log(`adapter ${site} (${result.adapter.parameters} parameters) → ${out} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    if (o.json) {
      process.stdout.write(JSON.stringify({ site, out, convention, trainingSlices: result.holdout, ...(listed ? { cases: result.cases } : {}), warnings: result.warnings, heldOut: result.heldOut, finalLoss: result.losses.at(-1), steps: train.steps, ms: Math.round(performance.now() - start) }) + "\n");
    }
    return 0;
  } finally {
    await runner.dispose();
    await trainStep.dispose();
  }
}

/**
 * The cases of a study list or folder to train on: all of them, or those --train-on names (by case
 * id, or the id's last part); one site (--site picks it when the list holds several).
 */
async function casesToTrainOn(input: string, trainOn: string | undefined, site: string | undefined, conventions: string[]): Promise<{ cases: (StudyCase & { path: string })[]; site: string }> {
  const { cases: all, base } = await loadCases(input, conventions);
  const sites = [...new Set(all.map((c) => c.site))];
  const ofSite = site !== undefined && sites.includes(site) ? all.filter((c) => c.site === site) : all;
  const inSites = [...new Set(ofSite.map((c) => c.site))];
  if (!ofSite.length) throw new UsageError(`--cases: no case in ${input} (see siteseg study --help for how scans are paired with labels)`);
  if (inSites.length > 1) throw new UsageError(`--cases: ${input} holds cases of ${inSites.length} sites (${inSites.join(", ")}); an adapter is for one site: name it with --site`);
  let picked = ofSite;
  if (trainOn !== undefined) {
    const wanted = trainOn.split(",").map((s) => s.trim()).filter(Boolean);
    const matches = (c: StudyCase, w: string) => c.id === w || c.id.endsWith(`/${w}`) || c.id.split("/").includes(w);
    const missing = wanted.filter((w) => !ofSite.some((c) => matches(c, w)));
    if (missing.length) throw new UsageError(`--train-on: no case ${missing.join(", ")} in ${input} (its cases: ${ofSite.map((c) => c.id).join(", ")})`);
    picked = ofSite.filter((c) => wanted.some((w) => matches(c, w)));
  }
  // read from the list's folder; recorded in the adapter as the list names them (no machine's own paths)
  return { cases: picked.map((c) => ({ ...c, path: resolve(base, c.image), image: c.image, label: resolve(base, c.label) })), site: inSites[0] };
}
