import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ModelSource } from "../core/manifest";
import { modelsFetch } from "../test/modelsFetch";
import type { InferenceClient } from "../worker/client";
import type { SegmentationResult } from "./jobSlice";
import { loadAsWorker } from "../test/workerLoad";
import { resetApp, useApp } from "./store";

// Issue 24 part 1 in the app ("Open model…"): a folder whose manifest leads out of it, whose
// graph's shapes differ from the manifest, or whose preprocessing makes no sense is refused by
// the manifest field, and the model in use stays (the refusal promise of modelSlice.test.ts).
// The worker client does what the inference worker does on "load", on onnxruntime-node.

const tissueDir = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
const disk = (path: string) => new Uint8Array(readFileSync(resolve(tissueDir, path)));
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a manifest as parsed JSON, broken on purpose
type Json = any;

let loads: ModelSource[];
const client = {
  load: async (source: ModelSource) => {
    loads.push(source);
    const manifest = await loadAsWorker(source);
    return { manifest, backend: "wasm (test)" };
  },
} as unknown as InferenceClient;

const kept = { adapter: null } as unknown as SegmentationResult;
beforeEach(async () => {
  resetApp();
  loads = [];
  vi.stubGlobal("fetch", modelsFetch(() => ({}), () => undefined, (path) => (path === "index.json" ? json(["siteseg-tissue"]) : disk(path.replace(/^siteseg-tissue\//, "")))));
  vi.stubGlobal("location", new URL("http://localhost/"));
  useApp.setState({ client });
  await useApp.getState().loadModelList();
  useApp.setState({ results: { base: kept }, result: kept });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

/** The tissue model's folder as the folder picker gives it, its manifest changed. */
const folder = (change: (m: Json) => void) => {
  const m = JSON.parse(readFileSync(resolve(tissueDir, "manifest.json"), "utf8"));
  change(m);
  const files: Record<string, Uint8Array> = { "manifest.json": json(m), "model.onnx": disk("model.onnx") };
  return Object.entries(files).map(([path, bytes]) => ({ path: `copy/${path}`, file: new Blob([bytes as Uint8Array<ArrayBuffer>]) }));
};

const modelInUseStays = (workerAsked: number) => {
  const s = useApp.getState();
  expect(s.models.map((m) => m.id)).toEqual(["siteseg-tissue"]);
  expect(s.modelId).toBe("siteseg-tissue");
  expect(s.modelStatus).toBe("ready");
  expect(s.manifest?.id).toBe("siteseg-tissue");
  expect(s.result).toBe(kept);
  expect(loads).toHaveLength(workerAsked);
};

describe("a model folder opened from disk", () => {
  it.each([
    ["a model path out of the folder", (m: Json) => (m.files.model.path = "../siteseg-tumour/model.onnx"), /^The model was not opened: manifest\.json is not a valid model manifest — files\.model\.path: "\.\.\/siteseg-tumour\/model\.onnx" lies outside the model folder$/],
    ["a shipped adapter's folder out of it", (m: Json) => (m.adapters.shipped[0].path = "/adapters/x"), /adapters\.shipped\.0\.path: "\/adapters\/x" lies outside the model folder/],
    ["percentiles the wrong way round", (m: Json) => (m.preprocess = [{ kind: "percentileScale", lower: 99.5, upper: 0.5 }]), /preprocess\.0: the lower percentile \(99\.5\) must be below the upper \(0\.5\)/],
  ])("%s is refused before the worker is asked; the model in use stays", async (_, change, error) => {
    await useApp.getState().openModelFiles(folder(change));
    expect(useApp.getState().modelOpenError).toMatch(error);
    modelInUseStays(1);
  });

  it.each([
    ["its graph's class count", (m: Json) => m.classes.push({ index: 4, name: "lesion", color: [255, 255, 0] }), /^The model was not opened: manifest\.json does not match model\.onnx — classes: "logits" of model\.onnx has shape \[batch, 4, height, width\], but the manifest's 5 classes need one channel each/],
    ["its graph's input channels", (m: Json) => (m.input.contextSlices = 2), /^The model was not opened: manifest\.json does not match model\.onnx — input\.contextSlices: "image" of model\.onnx has shape \[batch, 3, height, width\]/],
  ])("a manifest that differs from %s is refused by the worker, naming the field; the model in use is loaded again", async (_, change, error) => {
    await useApp.getState().openModelFiles(folder(change));
    expect(useApp.getState().modelOpenError).toMatch(error);
    modelInUseStays(3);
  });
});
