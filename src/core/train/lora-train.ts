import type { NamedTensor } from "../adapters/safetensors";
import type { AdapterSlot } from "../manifest/schema";
import type { InferenceRunner, Tensor } from "../pipeline/runner";
import { adamwStep, type AdamWOptions, type AdamWState } from "./adamw";

/**
 * One LoRA training step through `train_step.onnx` (training/grad_export.py), which takes
 * model.onnx's inputs plus `target` [N,C,H,W] (one-hot) and `weight` [N,1,H,W] and returns
 * `loss` and `grad.<input>` for every slot's A and B input. The graph only computes; the
 * parameters, their AdamW state and the batches live here, in plain TypeScript shared by the
 * browser worker and the Node CLI.
 *
 * Parameters are kept as PEFT stores them (A [r,in,kh,kw], B [out,r,1,1], unscaled), so
 * `loraTensors` is a PEFT adapter as train_adapter.py saves it, and AdamW steps the same
 * numbers torch.optim.AdamW steps there. The graph is fed B * scaling (as model.onnx is) at the
 * adapter's own rank (the graph's rank dimension is free; no zero padding, less work), and
 * dL/dB = scaling * grad.B.
 */
export interface LoraModule {
  slot: AdapterSlot;
  /** [r, inFeatures, kh, kw] */
  A: Float32Array;
  /** [outFeatures, r, 1, 1], PEFT's unscaled B */
  B: Float32Array;
  /** Left at the base: B stays zero, no gradient step, not saved. */
  frozen?: boolean;
}

export interface LoraParams {
  r: number;
  alpha: number;
  /** alpha / r (plain LoRA; rsLoRA's alpha / sqrt(r) would also be a valid choice here) */
  scaling: number;
  modules: LoraModule[];
}

export interface TrainBatch {
  /** [N, inChannels, H, W] */
  image: Tensor;
  /** N*H*W class indices; a label outside 0..numClasses-1 (e.g. 255) marks an unlabelled pixel, left out of the loss */
  labels: ArrayLike<number>;
  numClasses: number;
  /** optional N*H*W per-pixel weights (all ones: train_adapter.py's loss exactly) */
  weight?: Float32Array;
  /**
   * Optional soft targets for the last items: [M, numClasses, H, W] class probabilities (e.g. the
   * base's own prediction) replacing those items' one-hot labels.
   */
  softTail?: Float32Array;
}

const kernelSize = (s: AdapterSlot) => (s.kernel ?? [1, 1]).reduce((p, d) => p * d, 1);
const dimsA = (s: AdapterSlot, r: number) => (s.kernel ? [r, s.inFeatures, ...s.kernel] : [r, s.inFeatures]);
const dimsB = (s: AdapterSlot, r: number) => (s.kernel ? [s.outFeatures, r, 1, 1] : [s.outFeatures, r]);

/**
 * A fresh adapter as PEFT (and lora.py) starts one: A ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * (kaiming_uniform with a = sqrt(5)), B = 0, so training starts from the base exactly.
 * `random` returns uniform numbers in [0, 1): pass a seeded generator for reproducible runs.
 */
export function initLora(slots: readonly AdapterSlot[], r: number, alpha: number, random: () => number, frozen: (module: string) => boolean = () => false): LoraParams {
  const modules = slots.map((slot) => {
    const fanIn = slot.inFeatures * kernelSize(slot);
    const bound = 1 / Math.sqrt(fanIn);
    // drawn for every slot, frozen or not, so the random stream does not depend on the choice
    const A = Float32Array.from({ length: r * fanIn }, () => (2 * random() - 1) * bound);
    return { slot, A, B: new Float32Array(slot.outFeatures * r), frozen: frozen(slot.module) };
  });
  return { r, alpha, scaling: alpha / r, modules };
}

/** Continue from existing PEFT tensors (names base_model.model.<module>.lora_A.weight / lora_B.weight). */
export function loraFromTensors(slots: readonly AdapterSlot[], r: number, alpha: number, tensors: Record<string, NamedTensor>): LoraParams {
  const get = (module: string, which: "A" | "B", length: number) => {
    const t = tensors[`base_model.model.${module}.lora_${which}.weight`] ?? tensors[`${module}.lora_${which}.weight`];
    if (!t) throw new Error(`no lora_${which} tensor for ${module}`);
    if (t.data.length !== length) throw new Error(`lora_${which} of ${module} has ${t.data.length} values, rank ${r} needs ${length}`);
    return Float32Array.from(t.data);
  };
  const modules = slots.map((slot) => ({ slot, A: get(slot.module, "A", r * slot.inFeatures * kernelSize(slot)), B: get(slot.module, "B", slot.outFeatures * r) }));
  return { r, alpha, scaling: alpha / r, modules };
}

/** The trainable tensors in a fixed order ([A0, B0, A1, B1, ...]), for the optimizer. */
export function parameterList(p: LoraParams): Float32Array[] {
  return p.modules.flatMap((m) => [m.A, m.B]);
}

/** The PEFT tensors of this adapter, for writeSafetensors / buildAdapter. */
export function loraTensors(p: LoraParams): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const m of p.modules.filter((x) => !x.frozen)) {
    out[`base_model.model.${m.slot.module}.lora_A.weight`] = { shape: dimsA(m.slot, p.r), data: Float32Array.from(m.A) };
    out[`base_model.model.${m.slot.module}.lora_B.weight`] = { shape: dimsB(m.slot, p.r), data: Float32Array.from(m.B) };
  }
  return out;
}

/** The graph's target and weight inputs from class labels. */
export function targetFeeds(batch: TrainBatch): { target: Tensor; weight: Tensor } {
  const [N, , H, W] = batch.image.dims;
  const C = batch.numClasses;
  const plane = H * W;
  if (batch.labels.length !== N * plane) throw new Error(`labels: ${batch.labels.length} values for a ${N}x${H}x${W} batch`);
  const target = new Float32Array(N * C * plane);
  const weight = batch.weight ? Float32Array.from(batch.weight) : new Float32Array(N * plane).fill(1);
  for (let i = 0; i < N * plane; i++) {
    const label = batch.labels[i];
    const n = Math.floor(i / plane);
    if (Number.isInteger(label) && label >= 0 && label < C) target[(n * C + label) * plane + (i % plane)] = 1;
    else weight[i] = 0;
  }
  if (batch.softTail) {
    const M = batch.softTail.length / (C * plane);
    target.set(batch.softTail, (N - M) * C * plane);
    weight.fill(1, (N - M) * plane);
  }
  return { target: { data: target, dims: [N, C, H, W] }, weight: { data: weight, dims: [N, 1, H, W] } };
}

/** Every input of the train-step graph. */
export function stepFeeds(p: LoraParams, batch: TrainBatch, imageName = "image"): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = { [imageName]: batch.image, ...targetFeeds(batch) };
  for (const m of p.modules) {
    feeds[m.slot.inputA] = { data: m.A, dims: dimsA(m.slot, p.r) };
    feeds[m.slot.inputB] = { data: Float32Array.from(m.B, (v) => v * p.scaling), dims: dimsB(m.slot, p.r) };
  }
  return feeds;
}

/** dLoss/dA and dLoss/dB (PEFT's unscaled B) from the graph's outputs, in parameterList's order. */
export function gradientList(p: LoraParams, outputs: Record<string, Tensor>): Float32Array[] {
  const grad = (name: string, length: number) => {
    const t = outputs[`grad.${name}`];
    if (!t) throw new Error(`the train-step graph has no output grad.${name}`);
    if (t.data.length !== length) throw new Error(`grad.${name} has ${t.data.length} values, expected ${length}`);
    return t.data;
  };
  // a frozen module gets zero gradients: AdamW (weight decay aside) then leaves it where it is
  return p.modules.flatMap((m) =>
    m.frozen ? [new Float32Array(m.A.length), new Float32Array(m.B.length)] : [grad(m.slot.inputA, m.A.length), Float32Array.from(grad(m.slot.inputB, m.B.length), (v) => v * p.scaling)]);
}

/** Run the graph on one batch, then one AdamW step; returns the loss before the step. */
export async function trainStep(runner: InferenceRunner, p: LoraParams, batch: TrainBatch, state: AdamWState, options: Partial<AdamWOptions> = {}): Promise<number> {
  const out = await runner.run(stepFeeds(p, batch));
  const loss = out.loss?.data[0];
  if (loss === undefined || !Number.isFinite(loss)) throw new Error(`the training loss is ${loss}: no labelled pixels in the batch, or the step diverged`);
  adamwStep(parameterList(p), gradientList(p, out), state, options);
  return loss;
}
