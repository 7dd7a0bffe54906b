/**
 * Trains a site's LoRA adapter on the frozen base, the recipe of training/train_adapter.py:
 * rank 2, alpha 4 on every slot, A Kaiming-uniform and B zero (the adapter starts as the base),
 * AdamW without weight decay, batches of 8 random crops of which 2 are shown in a random contrast
 * with the base's own prediction as target (so the adapter learns its site's contrast without
 * changing what the base does on the site's other contrasts; model card). Each step runs the exported
 * train-step graph (loss and LoRA gradients; training/grad_export.py) and AdamW in TypeScript,
 * so the browser worker and the CLI train the same way.
 */
import type { NamedTensor } from "../adapters/safetensors";
import type { Manifest } from "../manifest/schema";
import { CancelledError, type InferenceRunner, type Tensor } from "../pipeline/runner";
import { adamwInit } from "../train/adamw";
import { initLora, loraTensors, parameterList, trainStep, type TrainBatch } from "../train/lora-train";
import { AdaptError, randomContrast, sampleBatch, seededRandom, type TrainingSlice } from "./data";

export interface TrainOptions {
  rank: number;
  alpha: number;
  steps: number;
  lr: number;
  batch: number;
  crop: number;
  seed: number;
  /** AdamW's decoupled weight decay: pulls A and B, so the adapter's change, towards the base. */
  weightDecay: number;
  /** Slots left at the base, by module name or prefix ("down.0" freezes down.0.conv1 and down.0.conv2). */
  frozen: string[];
  /** Items of each batch shown in a random contrast with the base's prediction as target (randomContrast); 0 = off. */
  anchor: number;
  /** Crops resampled by a factor drawn log-uniformly in [1/(1+zoom), 1+zoom] (anatomy of other sizes: the brain grows); 0 = off. */
  zoom: number;
  /** Each crop's intensities × U(1 − gainJitter, 1 + gainJitter) (scans normalised by percentiles differ in scale). */
  gainJitter: number;
}

/** train_adapter.py's defaults. */
export const TRAIN_DEFAULTS: TrainOptions = { rank: 2, alpha: 4, steps: 300, lr: 3e-3, batch: 8, crop: 128, seed: 0, weightDecay: 0, frozen: [], anchor: 2, zoom: 0, gainJitter: 0.1 };

export interface TrainedLora {
  /** PEFT's saved names and shapes: lora_A [r, in, kh, kw], lora_B [out, r, 1, 1] (B unscaled). */
  tensors: Record<string, NamedTensor>;
  options: TrainOptions;
  /** Loss after each step. */
  losses: number[];
}

/**
 * Runs `options.steps` steps on `slices` through `trainStepRunner` (a session on the train-step
 * graph: the model's inputs plus `target` and `weight` in, `loss` and `grad.<lora input>` out).
 */
export async function trainLora(
  slices: TrainingSlice[],
  manifest: Manifest,
  trainStepRunner: InferenceRunner,
  opts: Partial<TrainOptions> & {
    onStep?: (step: number, loss: number) => void;
    signal?: AbortSignal;
    /** The base's class probabilities [N, classes, H, W] for an image batch (needed when anchor > 0). */
    basePredict?: (image: Tensor) => Promise<Float32Array>;
  } = {},
): Promise<TrainedLora> {
  const options: TrainOptions = { ...TRAIN_DEFAULTS, ...opts };
  if (!slices.length) throw new AdaptError("no labelled slice to train on");
  if (options.anchor < 0 || options.anchor >= options.batch) throw new AdaptError(`anchor must be 0 to ${options.batch - 1} items of a batch of ${options.batch}, got ${options.anchor}`);
  if (options.anchor > 0 && !opts.basePredict) throw new Error("anchored training needs the base's predictions (basePredict)");
  if (options.rank < 1 || options.rank > manifest.adapters.maxRank) throw new AdaptError(`rank must be 1 to ${manifest.adapters.maxRank} for this model, got ${options.rank}`);
  const rand = seededRandom(options.seed);
  const isFrozen = (module: string) => options.frozen.some((f) => module === f || module.startsWith(`${f}.`));
  if (manifest.adapters.slots.every((s) => isFrozen(s.module))) throw new AdaptError(`--freeze ${options.frozen.join(",")} leaves no slot to train`);
  const lora = initLora(manifest.adapters.slots, options.rank, options.alpha, rand, isFrozen);
  const state = adamwInit(parameterList(lora));
  const numClasses = manifest.classes.length;
  const losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    if (opts.signal?.aborted) throw new CancelledError();
    const labelled = sampleBatch(slices, rand, options.batch - options.anchor, options.crop, options.zoom, options.gainJitter);
    let batch: TrainBatch = { ...labelled, numClasses };
    if (options.anchor > 0) {
      const anchored = randomContrast(sampleBatch(slices, rand, options.anchor, options.crop, options.zoom, options.gainJitter).image, rand);
      const [, C, H, W] = labelled.image.dims;
      const image = new Float32Array(options.batch * C * H * W);
      image.set(labelled.image.data);
      image.set(anchored.data, labelled.image.data.length);
      const labels = new Uint8Array(options.batch * H * W); // the anchored items' labels are unused (soft targets)
      labels.set(labelled.labels);
      batch = { image: { data: image, dims: [options.batch, C, H, W] }, labels, numClasses, softTail: await opts.basePredict!(anchored) };
    }
    const loss = await trainStep(trainStepRunner, lora, batch, state, { lr: options.lr, weightDecay: options.weightDecay });
    losses.push(loss);
    opts.onStep?.(step + 1, loss);
  }
  return { tensors: loraTensors(lora), options, losses };
}
