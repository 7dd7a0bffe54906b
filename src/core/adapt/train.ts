/**
 * Trains a site's LoRA adapter on the frozen base, the recipe of training/train_adapter.py:
 * rank 2, alpha 4 on every slot, A Kaiming-uniform and B zero (the adapter starts as the base),
 * AdamW without weight decay, batches of random crops. Each step runs the exported
 * train-step graph (loss and LoRA gradients; training/grad_export.py) and AdamW in TypeScript,
 * so the browser worker and the CLI train the same way.
 */
import type { NamedTensor } from "../adapters/safetensors";
import type { Manifest } from "../manifest/schema";
import { CancelledError, type InferenceRunner } from "../pipeline/runner";
import { adamwInit } from "../train/adamw";
import { initLora, loraTensors, parameterList, trainStep } from "../train/lora-train";
import { AdaptError, sampleBatch, seededRandom, type TrainingSlice } from "./data";

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
}

/** train_adapter.py's defaults. */
export const TRAIN_DEFAULTS: TrainOptions = { rank: 2, alpha: 4, steps: 300, lr: 3e-3, batch: 8, crop: 128, seed: 0, weightDecay: 0, frozen: [] };

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
  opts: Partial<TrainOptions> & { onStep?: (step: number, loss: number) => void; signal?: AbortSignal } = {},
): Promise<TrainedLora> {
  const options: TrainOptions = { ...TRAIN_DEFAULTS, ...opts };
  if (!slices.length) throw new AdaptError("no labelled slice to train on");
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
    const { image, labels } = sampleBatch(slices, rand, options.batch, options.crop);
    const loss = await trainStep(trainStepRunner, lora, { image, labels, numClasses }, state, { lr: options.lr, weightDecay: options.weightDecay });
    losses.push(loss);
    opts.onStep?.(step + 1, loss);
  }
  return { tensors: loraTensors(lora), options, losses };
}
