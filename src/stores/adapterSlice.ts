import { buildAdapter, loadAdapter, parseAdapterConfig, readSafetensors, type Adapter } from "../core/adapters";
import { contrastProfile, type ContrastProfile } from "../core/adapters/profile";
import { axisAlong, centralSlab } from "../core/volume/slab";
import { readShippedAdapter, type Manifest } from "../core/manifest";
import { modelFileReader } from "../runtime/model-source";
import { sha256Hex } from "../core/manifest/load";
import type { LoadedScan } from "./scanSlice";
import { message, type Slice } from "./types";

export interface AdapterEntry {
  name: string;
  source: "shipped" | "file";
  site?: string;
  description?: string;
}

/** An adapter as the app holds it, with the sha256 of its adapter_model.safetensors bytes (mask provenance). */
export type LoadedAdapter = Adapter & { sha256: string };

/**
 * The open scan's contrast measured before any run, for the adapter's contrast check: from its
 * reference label when one is loaded, else from the base model's mask of a slab through its middle.
 */
export interface ScanContrast {
  scan: LoadedScan;
  /** What it is measured under: the reference in use, or "probe" (the base on a slab). */
  basis: object | "probe";
  status: "measuring" | "done" | "failed";
  profile: ContrastProfile | null;
}

/** Thickness of the slab the probe segments (20 mm told T1 from T2/FLAIR/PD on every sample and test scan; 12 mm missed the smallest fetal one). */
export const PROBE_SLAB_MM = 20;

/** Voxels the page's thread reads for a reference's contrast profile (all of a 256³ scan took ~100 ms there; a sample of 2^18, ~20 ms, gives the same family). */
export const PAGE_PROFILE_VOXELS = 1 << 18;

/** The open scan's contrast profile as the adapter check reads it: the shown mask's, else the one measured before any run. */
export const scanProfileOf = (s: { scan: LoadedScan | null; result: { profile?: ContrastProfile } | null; scanContrast: ScanContrast | null }): ContrastProfile | null =>
  s.result?.profile ?? (s.scanContrast && s.scanContrast.scan === s.scan ? s.scanContrast.profile : null);

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
  /** A name no adapter of the model has yet: `first`, else `nth(2)`, `nth(3)`… */
  freeAdapterName: (first: string, nth: (i: number) => string) => string;
  /** Adds an adapter made this session (from disk, trained) to every Adapter select; `select`: it becomes the one in use. */
  addAdapter: (entry: { name: string; site?: string; adapter: LoadedAdapter }, select: boolean) => void;
  dismissAdapterError: () => void;
  scanContrast: ScanContrast | null;
  /**
   * Measures the open scan's contrast as soon as an adapter that records what it learnt from is
   * chosen, so a contrast it never saw is said before the run, not after: from the reference
   * label (on this thread, a task apart), else by the base model on a slab of the scan (in the
   * worker, when it is free). Does nothing when a mask (whose profile the worker measured) or a
   * measurement for this scan is there.
   */
  checkScanContrast: () => void;
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
      return get().newAdapter(); // a kept result of the base shows at once
    }
    const fromFile = get().fileAdapters.find((a) => a.name === name);
    if (!fromFile) set({ adapterStatus: "loading" });
    try {
      const adapter = await get().getAdapter(name);
      if (overtaken()) return;
      set({ adapter, adapterError: null, adapterStatus: "idle" });
      get().newAdapter();
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
      const name = get().freeAdapterName(`${base} (file)`, (i) => `${base} (file ${i})`);
      const adapter: LoadedAdapter = { ...buildAdapter(name, config, readSafetensors(weights.bytes, weights.name), manifest), sha256 };
      get().addAdapter({ name, site: adapter.config.site, adapter }, true);
    } catch (e) {
      set({ adapterError: `The adapter was not loaded: ${message(e)}` });
    }
  },
  freeAdapterName: (first, nth) => {
    const taken = new Set(availableAdapters(get()).map((a) => a.name));
    let name = first;
    for (let i = 2; taken.has(name); i++) name = nth(i);
    return name;
  },
  addAdapter: ({ name, site, adapter }, select) => {
    set({ fileAdapters: [...get().fileAdapters, { name, source: "file", site, adapter }] });
    if (!select) return;
    choice++; // a shipped adapter still loading is overtaken by this one
    set({ adapter, adapterError: null, adapterStatus: "idle" });
    get().newAdapter();
  },
  dismissAdapterError: () => set({ adapterError: null }),
  scanContrast: null,
  checkScanContrast: () => {
    const { scan, manifest, adapter, reference, scanContrast: known } = get();
    if (!scan || !manifest || !adapter?.config?.contrasts?.length || get().result?.profile) return;
    const names = manifest.classes.map((c) => c.name);
    const current = () => get().scan === scan && get().manifest === manifest;
    if (reference && get().conventionUnfit === null) {
      if (known?.scan === scan && known.basis === reference) return;
      set({ scanContrast: { scan, basis: reference, status: "measuring", profile: null } });
      // a pass over the scan (tens of ms on a 256³ scan): a task of its own, after the one that set the reference
      setTimeout(() => {
        if (!current() || get().reference !== reference || get().scanContrast?.basis !== reference) return;
        const classes = get().referenceClasses();
        if (!classes) {
          set({ scanContrast: null });
          return get().checkScanContrast(); // not readable in this model's classes: the probe
        }
        set({ scanContrast: { scan, basis: reference, status: "done", profile: contrastProfile(scan.volume.data, classes, names, PAGE_PROFILE_VOXELS) } });
      }, 0);
      return;
    }
    if (known?.scan === scan && known.basis === "probe") return; // measured, measuring, or failed once: not again
    // the worker must be free: a probe never waits in front of a run, a study or a training the user started
    if (get().modelStatus !== "ready") return;
    const taken = get().claimWorker("probing");
    if (!taken.ok) return;
    const mine: ScanContrast = { scan, basis: "probe", status: "measuring", profile: null };
    set({ scanContrast: mine });
    const slab = centralSlab(scan.volume, axisAlong(scan.volume, manifest.input.orientation[manifest.input.sliceAxis]), PROBE_SLAB_MM);
    const record = (status: ScanContrast["status"], profile: ContrastProfile | null) => {
      get().releaseWorker(taken.claim);
      if (current() && get().scanContrast === mine) set({ scanContrast: { ...mine, status, profile } });
    };
    void get()
      .client.segment(slab, { options: [] }) // never aborted: a few slices, and an abort would end the worker
      .then(
        (out) => record("done", out.profile),
        () => record("failed", null),
      );
  },
  };
};
