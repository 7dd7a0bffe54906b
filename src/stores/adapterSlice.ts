import { buildAdapter, loadAdapter, parseAdapterConfig, readSafetensors, type Adapter } from "../core/adapters";
import { readShippedAdapter, type Manifest } from "../core/manifest";
import { modelFileReader } from "../runtime/model-source";
import { sha256Hex } from "../core/manifest/load";
import { resultKey } from "./jobSlice";
import { message, type Slice } from "./types";

export interface AdapterEntry {
  name: string;
  source: "shipped" | "file";
  site?: string;
  description?: string;
}

/** An adapter as the app holds it, with the sha256 of its adapter_model.safetensors bytes (mask provenance). */
export type LoadedAdapter = Adapter & { sha256: string };

export interface AdapterSlice {
  /** Loaded from disk this session; the shipped ones come from the manifest. */
  fileAdapters: (AdapterEntry & { adapter: LoadedAdapter })[];
  /** The adapter the next run uses; null = the base model. */
  adapter: LoadedAdapter | null;
  adapterStatus: "idle" | "loading";
  adapterError: string | null;
  selectAdapter: (name: string | null) => Promise<void>;
  /** A loaded or shipped adapter of the current model, by name (without selecting it). */
  getAdapter: (name: string) => Promise<LoadedAdapter>;
  loadAdapterFiles: (files: { name: string; bytes: Uint8Array }[]) => Promise<void>;
  dismissAdapterError: () => void;
}

/** The adapters the select offers: the manifest's shipped ones, then those loaded from disk. */
export function availableAdapters(s: Pick<AdapterSlice, "fileAdapters"> & { manifest: Manifest | null }): AdapterEntry[] {
  return [
    ...(s.manifest?.adapters.shipped ?? []).map((a) => ({ name: a.name, source: "shipped" as const, site: a.site, description: a.description })),
    ...s.fileAdapters,
  ];
}

export const createAdapterSlice: Slice<AdapterSlice> = (set, get) => {
  /** Bumped by every choice of adapter: a load overtaken by a later choice is dropped. */
  let choice = 0;
  return {
  fileAdapters: [],
  adapter: null,
  adapterStatus: "idle",
  adapterError: null,
  getAdapter: async (name) => {
    const { manifest, models, loadedModelId, modelId } = get();
    if (!manifest) throw new Error("no model is loaded");
    const fromFile = get().fileAdapters.find((a) => a.name === name);
    if (fromFile) return fromFile.adapter;
    const shipped = manifest.adapters.shipped.find((a) => a.name === name);
    // the folder of the model in use, not of one still loading or refused
    const source = models.find((m) => m.id === (loadedModelId ?? modelId))?.source;
    if (!shipped || !source) throw new Error(`no adapter named ${name} for ${manifest.name}`);
    const { config, weights } = await readShippedAdapter(modelFileReader(source), manifest, name);
    return { ...loadAdapter(name, config, weights, manifest), sha256: await sha256Hex(weights) };
  },
  selectAdapter: async (name) => {
    const manifest = get().manifest;
    const mine = ++choice;
    // the model changed, or the user chose again, meanwhile
    const overtaken = () => mine !== choice || get().manifest !== manifest;
    if (name === null || !manifest) {
      set({ adapter: null, adapterError: null, adapterStatus: "idle" });
      return get().showResult(resultKey(null)); // a kept result of the base shows at once
    }
    const fromFile = get().fileAdapters.find((a) => a.name === name);
    if (!fromFile) set({ adapterStatus: "loading" });
    try {
      const adapter = await get().getAdapter(name);
      if (overtaken()) return;
      set({ adapter, adapterError: null, adapterStatus: "idle" });
      get().showResult(resultKey(name));
    } catch (e) {
      if (overtaken()) return;
      // The previous adapter (or the base) stays selected.
      set({ adapterError: `Adapter ${name} could not be used: ${message(e)}`, adapterStatus: "idle" });
    }
  },
  loadAdapterFiles: async (files) => {
    const manifest = get().manifest;
    const before = choice;
    if (!manifest) return set({ adapterError: "Choose a model before loading an adapter" });
    const configFile = files.find((f) => f.name.endsWith(".json"));
    const weights = files.find((f) => f.name.endsWith(".safetensors"));
    if (!configFile || !weights) {
      return set({ adapterError: "Select both files of the adapter: adapter_config.json and its .safetensors weights (hold Ctrl or Shift to pick two)" });
    }
    try {
      const sha256 = await sha256Hex(weights.bytes);
      if (before !== choice || get().manifest !== manifest) return; // the model changed, or another adapter was chosen, meanwhile
      const config = parseAdapterConfig(configFile.bytes);
      const base = config.site || weights.name.replace(/\.safetensors$/, "");
      const taken = new Set(availableAdapters(get()).map((a) => a.name));
      let name = `${base} (file)`;
      for (let i = 2; taken.has(name); i++) name = `${base} (file ${i})`;
      const adapter: LoadedAdapter = { ...buildAdapter(name, config, readSafetensors(weights.bytes, weights.name), manifest), sha256 };
      choice++; // a shipped adapter still loading is overtaken by this one
      set({ fileAdapters: [...get().fileAdapters, { name, source: "file", site: adapter.config.site, adapter }], adapter, adapterError: null, adapterStatus: "idle" });
    } catch (e) {
      set({ adapterError: `The adapter was not loaded: ${message(e)}` });
    }
  },
  dismissAdapterError: () => set({ adapterError: null }),
  };
};
