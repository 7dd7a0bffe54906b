import { existsSync, readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../manifest/load";
import { parseManifest, type Manifest } from "../manifest/schema";
import { buildAdapter, loadAdapter, parseAdapterConfig, zeroFeeds } from "./adapter";
import { AdapterError, readSafetensors, writeSafetensors, type NamedTensor } from "./safetensors";
import { MAX_WEIGHT_CHANGE, withBaseNorms } from "./scale";

const modelDir = resolve(import.meta.dirname, "../../../public/models/siteseg-tissue");
const manifest: Manifest = parseManifest(JSON.parse(readFileSync(resolve(modelDir, "manifest.json"), "utf8")));
const slot = manifest.adapters.slots[0];
const R = manifest.adapters.maxRank;

/** A rank-r adapter for the first slot, as PEFT names its tensors. */
function tensorsFor(r: number, module = slot.module): Record<string, NamedTensor> {
  const a = [r, slot.inFeatures, ...(slot.kernel ?? [])];
  const b = [slot.outFeatures, r, 1, 1];
  const fill = (shape: number[], v: number) => ({ shape, data: new Float32Array(shape.reduce((p, d) => p * d, 1)).fill(v) });
  return { [`base_model.model.${module}.lora_A.weight`]: fill(a, 0.5), [`base_model.model.${module}.lora_B.weight`]: fill(b, 2) };
}
const config = (extra: object = {}) => parseAdapterConfig(new TextEncoder().encode(JSON.stringify({ r: 2, lora_alpha: 4, target_modules: ["conv1", "conv2"], base_model_name_or_path: manifest.id, ...extra })));

describe("safetensors", () => {
  it("round-trips float32 tensors and reads float16", () => {
    const t = { "x.weight": { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-3, 7]) } };
    const back = readSafetensors(writeSafetensors(t, { format: "pt" }));
    expect(back["x.weight"].shape).toEqual([2, 3]);
    expect([...back["x.weight"].data]).toEqual([...t["x.weight"].data]);
    // hand-built F16 file: 1.0 = 0x3c00, -2.0 = 0xc000
    const header = new TextEncoder().encode(JSON.stringify({ h: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }));
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    bytes.set([0x00, 0x3c, 0x00, 0xc0], 8 + header.length);
    expect([...readSafetensors(bytes).h.data]).toEqual([1, -2]);
  });

  it("refuses a file that is not safetensors", () => {
    expect(() => readSafetensors(new Uint8Array([1, 2, 3]))).toThrow(AdapterError);
    expect(() => readSafetensors(new Uint8Array(64).fill(7))).toThrow(/not a safetensors file/);
  });

  /** A safetensors file from its header's bytes (or text) and `data` bytes of data. */
  const file = (header: string | Uint8Array, data: number) => {
    const head = typeof header === "string" ? new TextEncoder().encode(header) : header;
    const bytes = new Uint8Array(8 + head.length + data);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(head.length), true);
    bytes.set(head, 8);
    return bytes;
  };
  const f32 = (offsets: [number, number], shape = [(offsets[1] - offsets[0]) / 4]) => `{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

  // Issue 24 part 3: each was read before (JSON.parse keeps the last of two keys; the byte ranges
  // were checked only against the file's end), giving tensors other than the writer's.
  it.each([
    ["a tensor named twice", file(`{"a":${f32([0, 4])},"a":${f32([4, 8])}}`, 8), /its header names "a" twice/],
    ["the same name written two ways (\\u0061 and a)", file(`{"\\u0061":${f32([0, 4])},"a":${f32([4, 8])}}`, 8), /names "a" twice/],
    ["an entry with two data_offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8],"data_offsets":[0,4]}}`, 4), /names "data_offsets" twice/],
    ["a gap between tensors", file(`{"a":${f32([0, 4])},"b":${f32([8, 12])}}`, 12), /tensor b starts at byte 8 of the data, but the tensor before it ends at byte 4/],
    ["overlapping tensors", file(`{"a":${f32([0, 8])},"b":${f32([4, 8])}}`, 8), /tensor b starts at byte 4 of the data, but the tensor before it ends at byte 8/],
    ["two tensors on the same bytes", file(`{"a":${f32([0, 4])},"b":${f32([0, 4])}}`, 4), /starts at byte 0 of the data, but the tensor before it ends at byte 4/],
    ["data that does not start at byte 0", file(`{"a":${f32([4, 8])}}`, 8), /tensor a starts at byte 4 of the data, but the data starts at byte 0/],
    ["bytes after the last tensor", file(`{"a":${f32([0, 4])}}`, 8), /its tensors end at byte 4 of the data, but the file holds 8 bytes of data: it is padded/],
    ["a truncated file", file(`{"a":${f32([0, 8])}}`, 4), /its tensors end at byte 8 of the data, but the file holds 4 bytes of data: it is truncated/],
    ["a size that does not match the shape", file(`{"a":${f32([0, 8], [3])}}`, 8), /tensor a spans bytes 0–8 of the data, but its shape \[3\] of F32 takes 12/],
    ["a header that is not UTF-8", file(new Uint8Array([...new TextEncoder().encode(`{"a\xff":`), 0xff, ...new TextEncoder().encode(`":${f32([0, 4])}}`)]), 4), /header is not UTF-8 JSON/],
    ["a header that is a list", file("[]", 0), /header is not a JSON object/],
    ["metadata that is not text", file(`{"__metadata__":{"format":1},"a":${f32([0, 4])}}`, 4), /__metadata__ must map names to strings/],
    ["a header length of 2^40", (() => {
      const b = file(`{"a":${f32([0, 4])}}`, 4);
      new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
      return b;
    })(), /bad header length: 1099511627776 bytes, more than the format's 100000000/],
  ])("refuses %s", (_, bytes, message) => {
    expect(() => readSafetensors(bytes)).toThrow(AdapterError);
    expect(() => readSafetensors(bytes)).toThrow(message);
  });

  it("reads tensors listed in any order, zero-sized ones, and a file the safetensors library wrote", () => {
    const t = readSafetensors(file(`{"__metadata__":{"format":"pt"},"b":${f32([4, 8])},"e":${f32([8, 8], [0, 3])},"a":${f32([0, 4])}}`, 8));
    expect(Object.keys(t).sort()).toEqual(["a", "b", "e"]);
    expect(t.e.data.length).toBe(0);
    const peft = resolve(import.meta.dirname, "../../../training/parity/siteseg-tissue-peft/adapter_model.safetensors");
    if (existsSync(peft)) expect(Object.keys(readSafetensors(readFileSync(peft))).length).toBeGreaterThan(0);
  });
});

describe("fitting an adapter to the base", () => {
  it("zero-pads the rank and folds alpha / r into B", () => {
    const a = buildAdapter("t", config(), tensorsFor(2), manifest);
    const A = a.feeds[slot.inputA], B = a.feeds[slot.inputB];
    expect(A.dims[0]).toBe(R);
    const rowA = slot.inFeatures * (slot.kernel ? slot.kernel[0] * slot.kernel[1] : 1);
    expect(A.data[0]).toBe(0.5);
    expect(A.data[2 * rowA]).toBe(0); // rank rows past r are zero
    expect(B.data[0]).toBe(2 * (4 / 2));
    expect(B.data[2]).toBe(0);
    // every other slot is zero: the base there
    const other = manifest.adapters.slots[1];
    expect(a.feeds[other.inputB].data.every((v) => v === 0)).toBe(true);
    expect(Object.keys(a.feeds).sort()).toEqual(Object.keys(zeroFeeds(manifest)).sort());
  });

  it.each([
    ["another base model", () => buildAdapter("t", config({ base_model_name_or_path: "someone-else" }), tensorsFor(2), manifest), /trained for base model "someone-else"/],
    ["an unknown module", () => buildAdapter("t", config({ target_modules: ["conv1", "conv2", "attn"] }), tensorsFor(2, "encoder.attn"), manifest), /module "encoder.attn", which .* has no slot/],
    ["a wrong shape", () => buildAdapter("t", config(), { ...tensorsFor(2), [`base_model.model.${slot.module}.lora_B.weight`]: { shape: [slot.outFeatures + 1, 2, 1, 1], data: new Float32Array((slot.outFeatures + 1) * 2) } }, manifest), /the base expects/],
    ["too high a rank", () => buildAdapter("t", config({ r: R + 1 }), tensorsFor(R + 1), manifest), new RegExp(`rank ${R + 1}`)],
    ["a missing B", () => buildAdapter("t", config(), { [`base_model.model.${slot.module}.lora_A.weight`]: tensorsFor(2)[`base_model.model.${slot.module}.lora_A.weight`] }, manifest), /lacks lora_B/],
    ["per-module ranks (PEFT rank_pattern)", () => config({ rank_pattern: { "down.0.conv1": 4 } }), /uses rank_pattern/],
    ["trained biases (PEFT bias)", () => config({ bias: "lora_only" }), /uses bias/],
    ["a config that is not LoRA", () => parseAdapterConfig(new TextEncoder().encode(JSON.stringify({ peft_type: "IA3", target_modules: ["x"] }))), /not a LoRA config/],
    // Python's named group: a SyntaxError from new RegExp before (issue 24 part 3)
    ["a target_modules regex that does not compile", () => config({ target_modules: "(?P<m>down\\.0\\.conv1)" }), /^adapter_config\.json: target_modules "\(\?P<m>down\\\.0\\\.conv1\)" is not a regular expression this app can read \(Invalid group\)\. PEFT reads a string there as a regex that must match a module's whole name; give the modules as a list instead/],
  ])("refuses %s with a message naming it", (_, build, message) => {
    expect(build).toThrow(AdapterError);
    expect(build).toThrow(message);
  });
});

describe("target_modules as a regex", () => {
  it("matches a module's whole name, as PEFT's re.fullmatch", () => {
    expect(buildAdapter("t", config({ target_modules: ".*\\.conv[12]" }), tensorsFor(2), manifest).modules).toEqual([slot.module]);
    expect(() => buildAdapter("t", config({ target_modules: "conv1" }), tensorsFor(2), manifest)).toThrow(/which its target_modules do not name/);
  });
});

// Issue 24 part 3: an adapter's change of the base's weights, ‖B·A·alpha/r‖ / ‖W‖, with W read
// from the real model's graph (loadModel).
const loaded = (await loadModel(async (p) => new Uint8Array(readFileSync(resolve(modelDir, p))))).manifest;
const synthPd = resolve(modelDir, "adapters/synth-pd");
const synthPdConfig = (change: (c: Record<string, unknown>) => void = () => {}) => {
  const c = JSON.parse(readFileSync(resolve(synthPd, "adapter_config.json"), "utf8")) as Record<string, unknown>;
  change(c);
  return new TextEncoder().encode(JSON.stringify(c));
};
const synthPdWeights = (k = 1) => {
  const t = readSafetensors(readFileSync(resolve(synthPd, "adapter_model.safetensors")));
  for (const [name, v] of Object.entries(t)) if (name.includes("lora_B")) v.data = v.data.map((x) => x * k);
  return writeSafetensors(t);
};

describe("an adapter's change of the base's weights", () => {
  it("is measured against the graph's weights (numpy on model.onnx: down.3.conv2 39.501, down.0.conv1 3.684)", () => {
    const norm = (m: string) => loaded.adapters.slots.find((s) => s.module === m)?.baseNorm;
    expect(loaded.adapters.slots.every((s) => (s.baseNorm ?? 0) > 0)).toBe(true);
    expect(norm("down.3.conv2")).toBeCloseTo(39.501, 2);
    expect(norm("down.0.conv1")).toBeCloseTo(3.684, 2);
    // a graph it cannot read leaves the manifest as it was: loading a model never fails here
    expect(withBaseNorms(manifest, new Uint8Array([0x3a, 0xff, 1, 2]))).toBe(manifest);
  });

  it.each([
    // synth-pd changes up.1.conv1 by 0.29× its size; numpy on its file and the graph gives the same
    ["lora_alpha a million times too large", synthPdConfig((c) => (c.lora_alpha = 4e6)), synthPdWeights(), /^Adapter "synth-pd" changes the model's weights by 10\^5× their size \("up\.1\.conv1"; an adapter that works changes them by a fraction, and 3× already ruins the output\): it is damaged or was trained with a wrong alpha \(lora_alpha 4000000 with r 2\)\. Segment with the base model, or train the adapter again$/],
    ["weights a thousand times too large", synthPdConfig(), synthPdWeights(1000), /changes the model's weights by 290× their size \("up\.1\.conv1"/],
  ])("refuses %s (the shipped adapters change them by 0.34× at most)", (_, configBytes, weights, message) => {
    const load = () => loadAdapter("synth-pd", configBytes, weights, loaded);
    expect(load).toThrow(AdapterError);
    expect(load).toThrow(message);
  });

  it("loads lora_alpha ten times too large (2.9×): under the line, where segment() blames an adapter that empties the mask", () => {
    expect(loadAdapter("synth-pd", synthPdConfig((c) => (c.lora_alpha = 40)), synthPdWeights(), loaded).weightChange).toEqual({ module: "up.1.conv1", ratio: expect.closeTo(2.91, 2) });
  });

  it("refuses an alpha that makes the weights infinite, even where the base's weights are unknown", () => {
    const load = () => loadAdapter("synth-pd", synthPdConfig((c) => (c.lora_alpha = 1e40)), synthPdWeights(), manifest);
    expect(manifest.adapters.slots.some((s) => s.baseNorm)).toBe(false);
    expect(load).toThrow(AdapterError);
    expect(load).toThrow(/changes the model's weights by infinitely many times their size/);
  });
});

const adaptersDir = resolve(modelDir, "adapters");
const shipped = existsSync(adaptersDir) ? readdirSync(adaptersDir) : [];
describe.skipIf(!shipped.length)("shipped adapters (written by training/train_adapter.py or siteseg adapt)", () => {
  // the base's size, as train_adapter.py records it (siteseg adapt's configs do not)
  const baseParameters = Math.max(...shipped.map((n) => Number(JSON.parse(readFileSync(resolve(adaptersDir, n, "adapter_config.json"), "utf8")).base_parameters ?? 0)));
  it.each(shipped)("%s parses and fits the base within 5% of its parameters", (name) => {
    const dir = resolve(adaptersDir, name);
    const a = loadAdapter(name, readFileSync(resolve(dir, "adapter_config.json")), readFileSync(resolve(dir, "adapter_model.safetensors")), loaded);
    expect(a.modules.length).toBeGreaterThan(0);
    // its largest change of a base weight: far under the line (MAX_WEIGHT_CHANGE's margin)
    expect(a.weightChange!.ratio).toBeLessThan(0.34);
    expect(a.weightChange!.ratio).toBeLessThan(MAX_WEIGHT_CHANGE / 8);
    const base = Number(a.config.base_parameters ?? baseParameters);
    expect(base).toBeGreaterThan(100_000);
    expect(a.parameters).toBeLessThanOrEqual(0.05 * base);
    expect(manifest.adapters.shipped.map((s) => s.name)).toContain(name);
  });
});
