/** siteseg adapt: train a site's LoRA adapter from a scan and its reference, with core/adapt and onnxruntime-node. */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { adaptSite, TRAIN_DEFAULTS } from "../core/adapt";
import { loadTrainStep, sha256Hex } from "../core/manifest";
import { segment } from "../core/pipeline/segment";
import { formatDice, formatGain } from "../core/study";
import { createNodeRunner } from "../runtime/ort-node";
import { modelDirOf, parse, conventionFor, parseThreads, readBytes, readModel, readScan, required, startRunner } from "./common";
import { describeFsError, RuntimeError, UsageError } from "./errors";
import { ADAPT_HELP } from "./format";

const ADAPT_OPTIONS = {
  image: { type: "string", multiple: true },
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
  const imagePaths = o.image ?? [];
  if (!imagePaths.length) throw new UsageError("missing required option --image");
  const labelPath = required(o.label, "label");
  const out = required(o.out, "out");
  if (o.slices !== undefined && o["n-slices"] !== undefined) throw new UsageError("give --slices or --n-slices, not both");
  const slices = o.slices?.split(",").map((s) => number(s.trim(), "slices", 0, whole(0), "a comma-separated list of slice numbers"));
  const train = {
    rank: number(o.rank, "rank", TRAIN_DEFAULTS.rank, whole(1), "a whole number from 1"),
    alpha: number(o.alpha, "alpha", 2 * (o.rank ? Number(o.rank) : TRAIN_DEFAULTS.rank), (n) => n > 0, "positive"),
    steps: number(o.steps, "steps", TRAIN_DEFAULTS.steps, whole(1), "a whole number from 1"),
    lr: number(o.lr, "lr", TRAIN_DEFAULTS.lr, (n) => n > 0 && n < 1, "between 0 and 1"),
    seed: number(o.seed, "seed", TRAIN_DEFAULTS.seed, whole(0), "a whole number"),
    weightDecay: number(o["weight-decay"], "weight-decay", TRAIN_DEFAULTS.weightDecay, (n) => n >= 0, "0 or more"),
    anchor: number(o.anchor, "anchor", TRAIN_DEFAULTS.anchor, whole(0), "a whole number of batch items"),
    frozen: o.freeze ? o.freeze.split(",").map((m) => m.trim()).filter(Boolean) : TRAIN_DEFAULTS.frozen,
  };
  const nSlices = number(o["n-slices"], "n-slices", 10, whole(1), "a whole number from 1");
  const gap = number(o.gap, "gap", 5, whole(0), "a whole number");
  const threads = parseThreads(o.threads);
  const modelDir = modelDirOf(o.model);

  const imageBytes = await Promise.all(imagePaths.map((p) => readBytes(p, "image")));
  const [scan, ...moreScans] = await Promise.all(imagePaths.map((p) => readScan(p, "image")));
  const reference = await readScan(labelPath, "label");
  const model = await readModel(modelDir);
  const { manifest } = model;
  const convention = conventionFor(o.convention, reference, manifest).convention.id;
  const trainStep = await createNodeRunner(await loadTrainStep((p) => readBytes(join(modelDir, p), "model file"), manifest).catch((e: unknown) => {
    throw new RuntimeError((e as Error).message);
  }), threads);
  const runner = await startRunner(modelDir, model, threads);
  const site = o.site ?? basename(resolve(out));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const t0 = performance.now();
    const result = await adaptSite({
      scan, moreScans, reference, convention, manifest, slices, nSlices, gap, train, trainStep, model: runner,
      segment: async (s, feeds) => (await segment(s, manifest, runner, { adapterFeeds: feeds })).labels,
      site, description: o.description ?? `trained with siteseg adapt on ${imagePaths.map((p) => basename(p)).join(", ")}`,
      images: imagePaths, sourceSha256: await Promise.all(imageBytes.map((b) => sha256Hex(b))), tool: "siteseg adapt",
      onStep: (step, loss) => {
        if (step % 50 === 0 || step === train.steps) log(`step ${step}/${train.steps} loss ${loss.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      },
    });
    try {
      await mkdir(out, { recursive: true });
      await writeFile(join(out, "adapter_config.json"), result.files.config);
      await writeFile(join(out, "adapter_model.safetensors"), result.files.weights);
    } catch (e) {
      throw describeFsError(e, `write the adapter to ${out}`) ?? e;
    }
    log(`trained on scan slices ${result.holdout.indices.join(", ")} (axis ${result.holdout.axis}) of ${imagePaths.length} image${imagePaths.length > 1 ? "s" : ""}`);
    result.heldOut.forEach(({ base, adapter, slices: scored }, i) => {
      const gain = base !== null && adapter !== null ? adapter - base : null;
      const which = imagePaths.length > 1 ? ` ${basename(imagePaths[i])}` : "";
      process.stdout.write(`held-out mean Dice${which} (${scored} slices more than ${gap} away): base ${formatDice(base)} → adapter ${formatDice(adapter)} (${formatGain(gain)})\n`);
    });
    log(`adapter ${site} (${result.adapter.parameters} parameters) → ${out} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    if (o.json) {
      process.stdout.write(JSON.stringify({ site, out, convention, trainingSlices: result.holdout, heldOut: result.heldOut, finalLoss: result.losses.at(-1), steps: train.steps, ms: Math.round(performance.now() - start) }) + "\n");
    }
    return 0;
  } finally {
    await runner.dispose();
    await trainStep.dispose();
  }
}
