import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { checkGraphNames, loadModel, loadTrainStep, modelFolder, OutsideFolderError, parseManifest, readChecked, readShippedAdapter, sha256Hex } from "../core/manifest";
import { conventionsOf } from "../core/metrics/conventions";
import { modelFileReader } from "./model-source";
import { createNodeRunner } from "./ort-node";

// Opening a model the user brings (issue 11 part 5): the folder, the manifest's schema, the
// checksum, and the manifest's tensor names against the ONNX graph's, each refused by name.
const dir = resolve(import.meta.dirname, "../../models/siteseg-tumour");
const manifestJson = () => JSON.parse(readFileSync(resolve(dir, "manifest.json"), "utf8"));
const onnx = new Uint8Array(readFileSync(resolve(dir, "model.onnx")));
const reader = (files: Record<string, Uint8Array>) => async (p: string) => {
  if (!files[p]) throw new Error(`no ${p}`);
  return files[p];
};
const withManifest = (m: unknown) => reader({ "manifest.json": new TextEncoder().encode(JSON.stringify(m)), "model.onnx": onnx });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a manifest as parsed JSON, broken on purpose
type Json = any;
const blob = (s: string) => ({ arrayBuffer: async () => new TextEncoder().encode(s).buffer as ArrayBuffer });

describe("the model folder", () => {
  it("takes paths relative to the shallowest manifest.json", () => {
    const files = ["dl/tumour/manifest.json", "dl/tumour/model.onnx", "dl/tumour/adapters/a/adapter_config.json", "dl/tumour/old/manifest.json", "dl/notes.txt"];
    expect(Object.keys(modelFolder(files.map((path) => ({ path, file: blob(path) }))))).toEqual(["manifest.json", "model.onnx", "adapters/a/adapter_config.json", "old/manifest.json"]);
    expect(() => modelFolder([{ path: "model.onnx", file: blob("") }])).toThrow(/no manifest.json among the opened files/);
  });
});

describe("the tumour model's manifest", () => {
  it("is valid, names its background and maps BraTS labels onto its classes by name", async () => {
    const { manifest } = await loadModel(reader({ "manifest.json": readFileSync(resolve(dir, "manifest.json")), "model.onnx": onnx }));
    expect(manifest.classes.map((c) => c.name)).toEqual(["background", "oedema", "tumour core"]);
    expect(manifest.background).toBe("background");
    const brats = conventionsOf(manifest).find((c) => c.id === "brats")!;
    expect([1, 2, 3, 4].map(brats.map)).toEqual([2, 1, 2, 2]);
  });

  it.each([
    ["a background that is not the first class", (m: Json) => (m.background = "oedema"), /background: the background class "oedema" must be classes\[0\]/],
    ["two classes of one name", (m: Json) => (m.classes[2].name = "oedema"), /classes: class names must differ/],
    ["a table naming a class the model lacks", (m: Json) => m.labelConventions.push({ id: "site", label: "Our numbering", classes: { necrosis: [1] } }), /labelConventions\.2: the table maps class "necrosis"/],
    ["an unknown built-in table", (m: Json) => m.labelConventions.push("aseg"), /labelConventions\.2: unknown convention "aseg"/],
    ["a colour out of range", (m: Json) => (m.classes[1].color = [0, 300, 0]), /classes\.1\.color\.1/],
    ["no model file entry", (m: Json) => delete m.files.model, /files\.model/],
  ])("refuses %s, naming the field", async (_, change, message) => {
    const m = manifestJson();
    change(m);
    await expect(loadModel(withManifest(m))).rejects.toThrow(message);
    expect(() => parseManifest(m)).toThrow(/is not a valid model manifest/);
  });

  it("refuses a model file whose checksum differs from the manifest's", async () => {
    const m = manifestJson();
    m.files.model.sha256 = await sha256Hex(new Uint8Array([1, 2, 3]));
    await expect(loadModel(withManifest(m))).rejects.toThrow(/model.onnx does not match its manifest \(sha256/);
  });
});

describe("the manifest's tensor names against the graph", () => {
  it("accepts the shipped names and refuses wrong ones by field", async () => {
    const runner = await createNodeRunner(onnx, 1);
    const m = parseManifest(manifestJson());
    expect(() => checkGraphNames(m, runner)).not.toThrow();
    expect(() => checkGraphNames({ ...m, input: { ...m.input, inputName: "input" } }, runner)).toThrow(/input\.inputName: "input" is not an input of model\.onnx \(it has image, lora\./);
    expect(() => checkGraphNames({ ...m, input: { ...m.input, outputName: "output" } }, runner)).toThrow(/input\.outputName: "output" is not an output of model\.onnx \(it has logits\)/);
    const slots = m.adapters.slots.map((s, i) => (i === 3 ? { ...s, inputB: "lora.x.B" } : s));
    expect(() => checkGraphNames({ ...m, adapters: { ...m.adapters, slots } }, runner)).toThrow(/adapters\.slots\.3\.inputB: "lora\.x\.B" is not an input/);
    expect(() => checkGraphNames({ ...m, adapters: { ...m.adapters, slots: [] } }, runner)).toThrow(/the graph has inputs the manifest does not describe/);
    await runner.dispose();
  });
});

describe("shipped adapters", () => {
  it("are checked against the manifest's checksums", async () => {
    const tissue = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
    const read = async (p: string) => new Uint8Array(readFileSync(resolve(tissue, p)));
    const { manifest } = await loadModel(read);
    const { weights } = await readShippedAdapter(read, manifest, "spm152");
    expect(weights.length).toBe(manifest.adapters.shipped.find((a) => a.name === "spm152")!.files!.weights.bytes);
    const tampered = async (p: string) => {
      const bytes = await read(p);
      if (p.endsWith("adapter_model.safetensors")) bytes[bytes.length - 1] ^= 1;
      return bytes;
    };
    await expect(readShippedAdapter(tampered, manifest, "spm152")).rejects.toThrow(/adapters\/spm152\/adapter_model\.safetensors does not match its manifest/);
  });
});

// Issue 24 part 1: a model folder's paths stay inside it, its graph's shapes match the manifest,
// and its preprocessing values make sense; each refused by the manifest field, before any read.
describe("paths in the manifest", () => {
  /** The tumour folder in memory, and every path the loader asked for. */
  const recording = (m: unknown, more: Record<string, Uint8Array> = {}) => {
    const asked: string[] = [];
    const files: Record<string, Uint8Array> = { "manifest.json": new TextEncoder().encode(JSON.stringify(m)), "model.onnx": onnx, ...more };
    const read = async (p: string) => {
      asked.push(p);
      return reader(files)(p);
    };
    return { read, asked };
  };

  it.each([
    ["files.model.path", (m: Json, p: string) => (m.files.model.path = p)],
    ["files.trainStep.path", (m: Json, p: string) => (m.files.trainStep = { ...m.files.model, path: p })],
    ["adapters.shipped.0.path", (m: Json, p: string) => m.adapters.shipped.push({ name: "x", site: "x", path: p })],
  ])("%s outside the model folder is refused by name, nothing but the manifest read", async (field, set) => {
    for (const p of ["../x.onnx", "sub/../../x.onnx", "/etc/passwd", "..\\x.onnx", "%2e%2e/x.onnx", ".%2E/x.onnx", "https://example.org/x.onnx", "C:/x.onnx", "//example.org/x", "..?x", "..#x"]) {
      const m = manifestJson();
      set(m, p);
      const { read, asked } = recording(m);
      const error = `${field}: ${JSON.stringify(p)} lies outside the model folder`;
      await expect(loadModel(read)).rejects.toThrow(error);
      expect(asked).toEqual(["manifest.json"]);
    }
  });

  it("refuses a path that is no plain path (control characters, query, percent, colon, a name starting with a space) or that names the folder itself", async () => {
    for (const [p, why] of [["model.onnx?v=2", "is not a plain path"], ["mo%64el.onnx", "is not a plain path"], ["model\u0000.onnx", "is not a plain path"], ["./ /model.onnx", "is not a plain path"], ["sub/model.onnx:x", "is not a plain path"], [".", "names the model folder itself"], ["a/..", "names the model folder itself"]]) {
      const m = manifestJson();
      m.files.model.path = p;
      await expect(loadModel(withManifest(m))).rejects.toThrow(`files.model.path: ${JSON.stringify(p)} ${why}`);
    }
  });

  it("takes a path that stays inside, normalised", async () => {
    const m = manifestJson();
    m.files.model.path = "./sub/../model.onnx";
    const { read, asked } = recording(m);
    expect((await loadModel(read)).onnx).toBe(onnx);
    expect(asked).toEqual(["manifest.json", "model.onnx"]);
  });

  it("a manifest object that skipped the schema is still refused before reading (train step, shipped adapter)", async () => {
    const m = parseManifest(manifestJson());
    const { read, asked } = recording(m);
    const tampered = { ...m, files: { ...m.files, trainStep: { ...m.files.model, path: "../../t.onnx" } }, adapters: { ...m.adapters, shipped: [{ name: "a", site: "a", description: "", path: "../b" }] } };
    await expect(loadTrainStep(read, tampered)).rejects.toThrow('files.trainStep.path: "../../t.onnx" lies outside the model folder');
    await expect(readShippedAdapter(read, tampered, "a")).rejects.toThrow('adapters.shipped.0.path: "../b" lies outside the model folder');
    expect(asked).toEqual([]);
  });

  it("a served model's reader never fetches outside its folder; a reader's refusal names the field", async () => {
    const fetched: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => (fetched.push(url), new Response(onnx)));
    try {
      const read = modelFileReader({ kind: "url", baseUrl: "http://localhost/models/tumour/" });
      await expect(read("../other/model.onnx")).rejects.toThrow(OutsideFolderError);
      await expect(read("https://example.org/model.onnx")).rejects.toThrow(/lies outside the model folder/);
      expect(fetched).toEqual([]);
      await expect(readChecked(read, { path: "../y.onnx", sha256: "0".repeat(64) }, "files.model.path")).rejects.toThrow('files.model.path: "../y.onnx" lies outside the model folder');
      const leaky = async (p: string): Promise<Uint8Array> => {
        throw new OutsideFolderError(`${JSON.stringify(p)} lies outside the model folder (it leads to /elsewhere)`);
      };
      await expect(loadModel(async (p) => (p === "manifest.json" ? new TextEncoder().encode(JSON.stringify(manifestJson())) : leaky(p)))).rejects.toThrow('files.model.path: "model.onnx" lies outside the model folder (it leads to /elsewhere)');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("the manifest's shapes against the graph", () => {
  it("refuses a class count or context slices the graph does not have, naming the field", async () => {
    const runner = await createNodeRunner(onnx, 1);
    try {
      const m = parseManifest(manifestJson());
      const extra = parseManifest({ ...manifestJson(), classes: [...manifestJson().classes, { index: 3, name: "necrosis", color: [0, 0, 255] }] });
      expect(() => checkGraphNames(extra, runner)).toThrow(/^manifest\.json does not match model\.onnx — classes: "logits" of model\.onnx has shape \[batch, 3, height, width\], but the manifest's 4 classes need one channel each: \[any, 4, any, any\]$/);
      expect(() => checkGraphNames({ ...m, input: { ...m.input, contextSlices: 2 } }, runner)).toThrow(/input\.contextSlices: "image" of model\.onnx has shape \[batch, 3, height, width\], but 2 context slices on each side feed 5 channels: \[any, 5, any, any\]/);
      const slots = m.adapters.slots.map((s, i) => (i === 1 ? { ...s, inFeatures: s.inFeatures + 1 } : s));
      expect(() => checkGraphNames({ ...m, adapters: { ...m.adapters, slots } }, runner)).toThrow(/adapters\.slots\.1: "lora\.down\.0\.conv2\.A" of model\.onnx has shape \[8, 12, 3, 3\], but the slot/);
      expect(() => checkGraphNames({ ...m, adapters: { ...m.adapters, maxRank: 4 } }, runner)).toThrow(/adapters\.slots\.0: "lora\.down\.0\.conv1\.A" of model\.onnx has shape \[8, 3, 3, 3\]/);
    } finally {
      await runner.dispose();
    }
  });

  it("the shipped tissue model's graph matches its manifest, shapes included", async () => {
    const tissue = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
    const { manifest, onnx: bytes } = await loadModel(async (p) => new Uint8Array(readFileSync(resolve(tissue, p))));
    const runner = await createNodeRunner(bytes, 1);
    try {
      expect(runner.outputMetadata?.[0]).toMatchObject({ name: "logits", shape: ["batch", 4, "height", "width"] });
      expect(() => checkGraphNames(manifest, runner)).not.toThrow();
    } finally {
      await runner.dispose();
    }
  });

  it("free dimensions fit; fixed batch, height or width, another rank or type do not", () => {
    const m = parseManifest(manifestJson());
    const graph = (shape: (number | string)[], type = "float32") => ({
      inputNames: [m.input.inputName],
      outputNames: [m.input.outputName],
      inputMetadata: [{ name: m.input.inputName, isTensor: true, type, shape }],
      outputMetadata: [{ name: m.input.outputName, isTensor: true, type: "float32", shape: [-1, 3, -1, -1] }],
    });
    const bare = { ...m, adapters: { ...m.adapters, slots: [] } };
    expect(() => checkGraphNames(bare, graph(["n", 3, -1, "w"]))).not.toThrow();
    expect(() => checkGraphNames(bare, graph([]))).not.toThrow(); // shape unknown: nothing to check
    expect(() => checkGraphNames(bare, graph([1, 3, 256, 256]))).toThrow(/input\.inputName: "image" of model\.onnx has shape \[1, 3, 256, 256\]; the batch, height and width must be free/);
    expect(() => checkGraphNames({ ...bare, input: { ...bare.input, batchSize: 1 } }, graph([1, 3, "h", "w"]))).not.toThrow();
    expect(() => checkGraphNames(bare, graph([3, "h", "w"]))).toThrow(/input\.contextSlices: "image" of model\.onnx has shape \[3, h, w\]/);
    expect(() => checkGraphNames(bare, graph(["n", 3, "h", "w"], "float16"))).toThrow(/input\.contextSlices: "image" of model\.onnx is a float16 tensor; it must be float32/);
  });
});

describe("preprocessing and input values", () => {
  it.each([
    ["percentiles the wrong way round", (m: Json) => (m.preprocess = [{ kind: "percentileScale", lower: 99.5, upper: 0.5 }]), /preprocess\.0: the lower percentile \(99\.5\) must be below the upper \(0\.5\)/],
    ["equal percentiles", (m: Json) => (m.preprocess = [{ kind: "percentileScale", lower: 50, upper: 50 }]), /preprocess\.0: the lower percentile \(50\) must be below the upper \(50\)/],
    ["a percentile above 100", (m: Json) => (m.preprocess = [{ kind: "percentileScale", lower: 1, upper: 101 }]), /preprocess\.0\.upper: a percentile is 0 to 100/],
    ["a negative percentile", (m: Json) => (m.preprocess = [{ kind: "percentileScale", lower: -1, upper: 99 }]), /preprocess\.0\.lower: a percentile is 0 to 100/],
    ["a slice smaller than multipleOf", (m: Json) => (m.input.maxSliceSize = [320, 8]), /input\.maxSliceSize\.1: 8 is below multipleOf \(16\), so no slice would fit/],
    ["a zero spacing", (m: Json) => (m.input.spacing = [1, 0, 1]), /input\.spacing\.1/],
    ["an infinite spacing (1e999 in JSON)", (m: Json) => (m.input.spacing = [1, Infinity, 1]), /input\.spacing\.1/],
    ["limits the wrong way round", (m: Json) => (m.input.limits = { spacingMm: [8, 0.3], extentMm: 400 }), /input\.limits\.spacingMm: \[smallest, largest\]/],
    ["a zero extent limit", (m: Json) => (m.input.limits = { spacingMm: [0.3, 8], extentMm: 0 }), /input\.limits\.extentMm/],
    ["two shipped adapters of one name", (m: Json) => m.adapters.shipped.push({ name: "a", site: "a", path: "a" }, { name: "a", site: "b", path: "b" }), /adapters\.shipped: shipped adapter names must differ/],
  ])("refuses %s, naming the field", (_, change, message) => {
    const m = manifestJson();
    change(m);
    expect(() => parseManifest(m)).toThrow(message);
  });
});
