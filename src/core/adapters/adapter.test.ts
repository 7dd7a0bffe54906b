import { existsSync, readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest, type Manifest } from "../manifest/schema";
import { buildAdapter, loadAdapter, parseAdapterConfig, zeroFeeds } from "./adapter";
import { AdapterError, readSafetensors, writeSafetensors, type NamedTensor } from "./safetensors";

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
  ])("refuses %s with a message naming it", (_, build, message) => {
    expect(build).toThrow(AdapterError);
    expect(build).toThrow(message);
  });
});

const adaptersDir = resolve(modelDir, "adapters");
const shipped = existsSync(adaptersDir) ? readdirSync(adaptersDir) : [];
describe.skipIf(!shipped.length)("shipped adapters (written by training/train_adapter.py or siteseg adapt)", () => {
  // the base's size, as train_adapter.py records it (siteseg adapt's configs do not)
  const baseParameters = Math.max(...shipped.map((n) => Number(JSON.parse(readFileSync(resolve(adaptersDir, n, "adapter_config.json"), "utf8")).base_parameters ?? 0)));
  it.each(shipped)("%s parses and fits the base within 5% of its parameters", (name) => {
    const dir = resolve(adaptersDir, name);
    const a = loadAdapter(name, readFileSync(resolve(dir, "adapter_config.json")), readFileSync(resolve(dir, "adapter_model.safetensors")), manifest);
    expect(a.modules.length).toBeGreaterThan(0);
    const base = Number(a.config.base_parameters ?? baseParameters);
    expect(base).toBeGreaterThan(100_000);
    expect(a.parameters).toBeLessThanOrEqual(0.05 * base);
    expect(manifest.adapters.shipped.map((s) => s.name)).toContain(name);
  });
});
