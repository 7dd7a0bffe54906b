import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { loadAdapter } from "../core/adapters";
import { loadModel } from "../core/manifest";
import { resetApp, useApp } from "./store";

// Issue 24 part 3 in the app: an adapter refused for its scale, its target_modules or its
// safetensors header says why, and the adapter in use stays in use (as for NaN weights). The
// manifest is the one the worker sends (loadModel: with the base's weight norms read from the graph).
const tissueDir = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
const disk = (path: string) => new Uint8Array(readFileSync(resolve(tissueDir, path)));
const { manifest } = await loadModel(async (p) => disk(p));
const fpgT2 = { ...loadAdapter("fpg-t2", disk("adapters/fpg-t2/adapter_config.json"), disk("adapters/fpg-t2/adapter_model.safetensors"), manifest), sha256: "fpg" };
const weights = () => ({ name: "adapter_model.safetensors", bytes: disk("adapters/synth-pd/adapter_model.safetensors") });
const config = (change: (c: Record<string, unknown>) => void) => {
  const c = JSON.parse(new TextDecoder().decode(disk("adapters/synth-pd/adapter_config.json"))) as Record<string, unknown>;
  change(c);
  return { name: "adapter_config.json", bytes: new TextEncoder().encode(JSON.stringify(c)) };
};
/** synth-pd's weights with the header naming its first tensor a second time (over the second tensor's bytes). */
const namedTwice = () => {
  const bytes = weights().bytes;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  const [first, second] = Object.keys(header).filter((k) => k !== "__metadata__");
  const text = JSON.stringify(header).replace(`"${second}":`, `"${first}":`);
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + head.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(bytes.subarray(8 + n), 8 + head.length);
  return { name: "adapter_model.safetensors", bytes: out };
};

beforeEach(() => {
  resetApp();
  useApp.setState({ manifest, modelStatus: "ready", adapter: fpgT2 });
});

describe("an adapter refused on loading leaves the adapter in use", () => {
  it.each([
    ["a lora_alpha a million times too large", () => [config((c) => (c.lora_alpha = 4e6)), weights()], /^The adapter was not loaded: Adapter "synth-pd \(file\)" changes the model's weights by 10\^5× their size \("up\.1\.conv1"; .*\): it is damaged or was trained with a wrong alpha \(lora_alpha 4000000 with r 2\)\. Segment with the base model, or train the adapter again$/],
    ["a target_modules regex that does not compile", () => [config((c) => (c.target_modules = "(?P<m>conv1)")), weights()], /^The adapter was not loaded: adapter_config\.json: target_modules "\(\?P<m>conv1\)" is not a regular expression this app can read/],
    ["a safetensors header naming a tensor twice", () => [config(() => {}), namedTwice()], /^The adapter was not loaded: adapter_model\.safetensors: its header names "base_model\.model\..+" twice/],
  ])("%s", async (_, files, error) => {
    await useApp.getState().loadAdapterFiles(files());
    const s = useApp.getState();
    expect(s.adapterError).toMatch(error);
    expect(s.adapter).toBe(fpgT2);
    expect(s.fileAdapters).toEqual([]);
  });

  it("the same adapter with its own alpha loads", async () => {
    await useApp.getState().loadAdapterFiles([config(() => {}), weights()]);
    expect(useApp.getState().adapterError).toBeNull();
    expect(useApp.getState().adapter?.name).toBe("synth-pd (file)");
  });
});
