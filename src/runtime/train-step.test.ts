import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { buildAdapter, parseAdapterConfig } from "../core/adapters";
import { loadModel } from "../core/manifest";
import type { Tensor } from "../core/pipeline/runner";
import { adamwInit } from "../core/train/adamw";
import { loraFromTensors, loraTensors, stepFeeds, trainStep } from "../core/train/lora-train";
import { createNodeRunner } from "./ort-node";
import { wrapSession, type OrtModule, type SessionRunner } from "./session";

/**
 * train_step.onnx (training/grad_export.py): the loss and the LoRA gradients as an ONNX graph,
 * against PyTorch autograd on the same adapter (training/train_step_fixture.py).
 */
const root = resolve(import.meta.dirname, "../..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
const model = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
const { manifest } = model;
const graph = new Uint8Array(readFileSync(resolve(modelDir, "train_step.onnx")));

interface Case { name: string; weight: number[] | null; loss: number; grads: Record<string, { shape: number[]; data: number[] }> }
const fx = JSON.parse(readFileSync(resolve(root, "training/parity/train-step.json"), "utf8")) as {
  config: { r: number; lora_alpha: number };
  tensors: Record<string, { shape: number[]; data: number[] }>;
  image: { dims: number[]; data: number[] };
  labels: { dims: number[]; data: number[] };
  tolerance: { relative: number; absolute: number; loss: number };
  cases: Case[];
  training: { lr: number; weightDecay: number; betas: [number, number]; eps: number; losses: number[]; float32VsFloat64: number; tensors: Record<string, { shape: number[]; data: number[] }> };
};
const r = fx.config.r;
const scaling = fx.config.lora_alpha / r;
const [N, H, W] = fx.labels.dims;
const C = manifest.classes.length;

function targetFeeds(weight: number[] | null): Record<string, Tensor> {
  const target = new Float32Array(N * C * H * W);
  fx.labels.data.forEach((label, i) => {
    const n = Math.floor(i / (H * W));
    target[(n * C + label) * H * W + (i % (H * W))] = 1;
  });
  return {
    image: { data: Float32Array.from(fx.image.data), dims: fx.image.dims },
    target: { data: target, dims: [N, C, H, W] },
    weight: { data: weight ? Float32Array.from(weight) : new Float32Array(N * H * W).fill(1), dims: [N, 1, H, W] },
  };
}

/** The adapter as the app feeds model.onnx: zero-padded to the slot rank, scaling folded into B. */
function adapterFeeds() {
  const named = Object.fromEntries(Object.entries(fx.tensors).map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
  const config = parseAdapterConfig(new TextEncoder().encode(JSON.stringify(fx.config)));
  return buildAdapter("fixture", config, named, manifest).feeds;
}

/** The same adapter at its own rank (no padding): the graph's rank dimension is free. */
function unpaddedFeeds(): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const s of manifest.adapters.slots) {
    const A = fx.tensors[`base_model.model.${s.module}.lora_A.weight`];
    const B = fx.tensors[`base_model.model.${s.module}.lora_B.weight`];
    feeds[s.inputA] = { data: Float32Array.from(A.data), dims: A.shape };
    feeds[s.inputB] = { data: Float32Array.from(B.data, (v) => v * scaling), dims: B.shape };
  }
  return feeds;
}

/** max |a - b| and max |b| */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

/** Check every slot's gradient (graph input rank R) against PyTorch's (rank r, PEFT's unscaled B). */
function checkGrads(out: Record<string, Tensor>, c: Case, R: number): number {
  let worst = 0;
  for (const s of manifest.adapters.slots) {
    const gA = out[`grad.${s.inputA}`];
    const gB = out[`grad.${s.inputB}`];
    const ref = { A: c.grads[`${s.module}.lora_A.weight`], B: c.grads[`${s.module}.lora_B.weight`] };
    const k = s.inFeatures * (s.kernel ?? [1, 1]).reduce((p, d) => p * d, 1);
    expect(gA.dims).toEqual([R, s.inFeatures, ...(s.kernel ?? [])]);
    expect(gB.dims).toEqual([s.outFeatures, R, 1, 1]);
    // A: the first r rows; B: the first r columns, times the scaling (dL/dB_peft = scaling * dL/dB_fed)
    const a = gA.data.subarray(0, r * k);
    const b = new Float32Array(s.outFeatures * r);
    for (let o = 0; o < s.outFeatures; o++) for (let j = 0; j < r; j++) b[o * r + j] = gB.data[o * R + j] * scaling;
    for (const [got, want, what] of [[a, ref.A.data, "A"], [b, ref.B.data, "B"]] as const) {
      const { diff, scale } = compare(got, want);
      expect(scale, `${s.module} ${what}: PyTorch's gradient is zero`).toBeGreaterThan(0);
      expect(diff, `${s.module} ${what}`).toBeLessThanOrEqual(fx.tolerance.relative * scale + fx.tolerance.absolute);
      worst = Math.max(worst, diff / scale);
    }
    // padding rows/columns get no gradient, so they stay zero under AdamW
    for (let i = r * k; i < gA.data.length; i++) expect(gA.data[i]).toBe(0);
    for (let o = 0; o < s.outFeatures; o++) for (let j = r; j < R; j++) expect(gB.data[o * R + j]).toBe(0);
  }
  return worst;
}

/** onnxruntime-web's WASM backend, which runs in Node as well: the browser's kernels. */
async function createWasmRunner(bytes: Uint8Array): Promise<SessionRunner> {
  ortWeb.env.wasm.numThreads = 1;
  const session = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  return wrapSession(ortWeb as unknown as OrtModule, session, "wasm");
}

const runtimes = { "onnxruntime-node": (b: Uint8Array) => createNodeRunner(b, 1), "onnxruntime-web (WASM)": createWasmRunner };

describe("train_step.onnx vs PyTorch autograd", () => {
  for (const [runtime, create] of Object.entries(runtimes)) for (const c of fx.cases) {
    it(`gives PyTorch's loss and LoRA gradients in ${runtime} (${c.name} loss, adapter padded to the slot rank)`, async () => {
      const runner = await create(graph);
      const out = await runner.run({ ...adapterFeeds(), ...targetFeeds(c.weight) });
      await runner.dispose();
      const loss = out.loss.data[0];
      expect(Math.abs(loss - c.loss)).toBeLessThanOrEqual(fx.tolerance.loss * Math.max(1, Math.abs(c.loss)));
      const worst = checkGrads(out, c, manifest.adapters.maxRank);
      console.info(`${runtime} ${c.name}: loss ${loss} (PyTorch ${c.loss}), worst gradient max|Δ|/max|g| ${worst.toExponential(2)}`);
    });
  }

  it("takes the adapter at its own rank as well", async () => {
    const c = fx.cases[0];
    const runner = await createNodeRunner(graph, 1);
    const out = await runner.run({ ...unpaddedFeeds(), ...targetFeeds(c.weight) });
    await runner.dispose();
    expect(Math.abs(out.loss.data[0] - c.loss)).toBeLessThanOrEqual(fx.tolerance.loss * Math.max(1, Math.abs(c.loss)));
    checkGrads(out, c, r);
  });

  it("trains as train_adapter.py does: src/core/train's loop (graph + AdamW) follows PyTorch's for 3 steps", async () => {
    const t = fx.training;
    const named = Object.fromEntries(Object.entries(fx.tensors).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
    const params = loraFromTensors(manifest.adapters.slots, r, fx.config.lora_alpha, named);
    const batch = { image: { data: Float32Array.from(fx.image.data), dims: fx.image.dims }, labels: fx.labels.data, numClasses: C };
    const state = adamwInit(params.modules.flatMap((m) => [m.A, m.B]));
    const runner = await createNodeRunner(graph, 1);
    const losses: number[] = [];
    for (let k = 0; k < 3; k++) losses.push(await trainStep(runner, params, batch, state, { lr: t.lr, weightDecay: t.weightDecay, betas: t.betas, eps: t.eps }));
    losses.push((await runner.run(stepFeeds(params, batch))).loss.data[0]);
    await runner.dispose();
    losses.forEach((l, k) => expect(Math.abs(l - t.losses[k]), `loss ${k}`).toBeLessThanOrEqual(1e-4 * t.losses[k]));
    // Adam normalises each update to about lr, so compare the parameters in units of lr
    let worst = 0;
    for (const [name, v] of Object.entries(loraTensors(params))) {
      worst = Math.max(worst, compare(v.data, t.tensors[name].data).diff);
    }
    // where a gradient is tiny, rounding alone moves Adam's normalised step: PyTorch's float32 run strays
    // t.float32VsFloat64 from its float64 run; another runtime's summation order may stray ten times that
    expect(worst).toBeLessThanOrEqual(Math.max(0.01 * t.lr, 10 * t.float32VsFloat64));
    console.info(`3 AdamW steps: losses ${losses.map((l) => l.toFixed(5)).join(" ")} (PyTorch ${t.losses.map((l) => l.toFixed(5)).join(" ")}), max |Δparam| ${worst.toExponential(2)} = ${(worst / t.lr).toExponential(2)} lr`);
  });

  it("has model.onnx's inputs plus target and weight", async () => {
    const runner = await createNodeRunner(graph, 1);
    const inference = await createNodeRunner(model.onnx, 1);
    expect([...runner.inputNames].sort()).toEqual([...inference.inputNames, "target", "weight"].sort());
    await runner.dispose();
    await inference.dispose();
  });
});
