import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkGraphNames, loadModel, modelFolder, parseManifest, readShippedAdapter, sha256Hex } from "../core/manifest";
import { conventionsOf } from "../core/metrics/conventions";
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
