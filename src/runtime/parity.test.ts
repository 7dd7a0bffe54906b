import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildAdapter, loadAdapter, parseAdapterConfig, zeroFeeds } from "../core/adapters";
import { loadModel } from "../core/manifest";
import type { Tensor } from "../core/pipeline/runner";
import { createNodeRunner } from "./ort-node";
import { sessionsCreated } from "./session";

const root = resolve(import.meta.dirname, "../..");
const modelDir = resolve(root, "public/models/siteseg-tissue");
const model = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))));
const { manifest } = model;
// written by training/export.py from the PyTorch model in eval mode
const parity = JSON.parse(readFileSync(resolve(root, `training/parity/${manifest.id}.json`), "utf8"));
const probe: Tensor = { data: Float32Array.from(parity.input), dims: parity.inputDims };

function maxAbsDiff(a: Float32Array, b: number[]): number {
  let m = 0;
  a.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[i]))));
  return m;
}

describe("shipped model vs PyTorch", () => {
  it("matches without an adapter (zero LoRA slots)", async () => {
    const runner = await createNodeRunner(model.onnx, 1);
    const out = await runner.run({ [manifest.input.inputName]: probe, ...zeroFeeds(manifest) });
    const logits = out[manifest.input.outputName];
    expect(logits.dims).toEqual(parity.outputDims);
    expect(maxAbsDiff(logits.data, parity.output)).toBeLessThan(parity.tolerance);
    await runner.dispose();
  });

  it("matches a PEFT-style LoRA adapter fed as graph inputs", async () => {
    const { config, tensors } = parity.adapter;
    const named = Object.fromEntries(Object.entries(tensors as Record<string, { shape: number[]; data: number[] }>).map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
    const adapter = buildAdapter("probe", parseAdapterConfig(new TextEncoder().encode(JSON.stringify(config))), named, manifest);
    const runner = await createNodeRunner(model.onnx, 1);
    const out = await runner.run({ [manifest.input.inputName]: probe, ...adapter.feeds });
    const logits = out[manifest.input.outputName].data;
    expect(maxAbsDiff(logits, parity.adapter.output)).toBeLessThan(parity.tolerance);
    // and the adapter really changes the output
    expect(maxAbsDiff(logits, parity.output)).toBeGreaterThan(10 * parity.tolerance);
    await runner.dispose();
  });

  it("matches an adapter trained and saved by the peft library itself (training/peft_interop.py)", async () => {
    // the fixture holds the base it was trained on (exported by this project: 0.3.0, with its probe and
    // manifest), so a later base, even of other widths, does not invalidate it: the claim is about peft's format
    const dir = resolve(root, `training/parity/${manifest.id}-peft`);
    const expected = JSON.parse(readFileSync(resolve(dir, "expected.json"), "utf8"));
    const input: Tensor = { data: Float32Array.from(expected.input), dims: expected.inputDims };
    // that base's own manifest (its slot shapes; the file's checksum is checked as the app does)
    const base = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(dir, p))));
    const baseManifest = base.manifest;
    expect(baseManifest.files.model.path).toBe(expected.base.path);
    // the same loader as "Load adapter…" in the app and --adapter FOLDER in the CLI
    const adapter = loadAdapter("peft", readFileSync(resolve(dir, "adapter_config.json")), readFileSync(resolve(dir, "adapter_model.safetensors")), baseManifest);
    expect(adapter.config.use_rslora).toBe(true);
    expect(adapter.modules).toHaveLength(baseManifest.adapters.slots.length);
    const runner = await createNodeRunner(base.onnx, 1);
    const run = async (feeds: Record<string, Tensor>) => (await runner.run({ [baseManifest.input.inputName]: input, ...feeds }))[baseManifest.input.outputName];
    expect(maxAbsDiff((await run(zeroFeeds(baseManifest))).data, expected.baseOutput)).toBeLessThan(expected.tolerance);
    const logits = await run(adapter.feeds);
    expect(logits.dims).toEqual(expected.outputDims);
    expect(maxAbsDiff(logits.data, expected.output)).toBeLessThan(expected.tolerance);
    expect(maxAbsDiff(logits.data, expected.baseOutput)).toBeGreaterThan(10 * expected.tolerance);
    await runner.dispose();
  });

  it("is refused when its file does not match the manifest's checksum", async () => {
    const read = async (p: string) => {
      const bytes = new Uint8Array(readFileSync(resolve(modelDir, p)));
      if (p.endsWith(".onnx")) bytes[bytes.length - 1] ^= 0xff;
      return bytes;
    };
    await expect(loadModel(read)).rejects.toThrow(/does not match its manifest/);
  });
});

describe("the second task's model (models/siteseg-tumour) vs PyTorch", () => {
  it("matches without an adapter", async () => {
    const dir = resolve(root, "models/siteseg-tumour");
    const tumour = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(dir, p))));
    const ref = JSON.parse(readFileSync(resolve(root, `training/parity/${tumour.manifest.id}.json`), "utf8"));
    const runner = await createNodeRunner(tumour.onnx, 1);
    const out = await runner.run({ [tumour.manifest.input.inputName]: { data: Float32Array.from(ref.input), dims: ref.inputDims }, ...zeroFeeds(tumour.manifest) });
    const logits = out[tumour.manifest.input.outputName];
    expect(logits.dims).toEqual([1, tumour.manifest.classes.length, ...ref.inputDims.slice(2)]);
    expect(maxAbsDiff(logits.data, ref.output)).toBeLessThan(ref.tolerance);
    await runner.dispose();
  });
});

describe("one session for every adapter", () => {
  it("running with an adapter's tensors creates no session; opening a model does (so the check can fail)", async () => {
    const runner = await createNodeRunner(model.onnx, 1);
    const before = sessionsCreated();
    const { config, tensors } = parity.adapter;
    const named = Object.fromEntries(Object.entries(tensors as Record<string, { shape: number[]; data: number[] }>).map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.data) }]));
    const adapter = buildAdapter("probe", parseAdapterConfig(new TextEncoder().encode(JSON.stringify(config))), named, manifest);
    await runner.run({ [manifest.input.inputName]: probe, ...adapter.feeds });
    await runner.run({ [manifest.input.inputName]: probe, ...zeroFeeds(manifest) });
    expect(sessionsCreated()).toBe(before);
    const other = await createNodeRunner(model.onnx, 1);
    expect(sessionsCreated()).toBe(before + 1);
    await Promise.all([runner.dispose(), other.dispose()]);
  });
});
