import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readSafetensors, writeSafetensors } from "../core/adapters";
import { writeNifti } from "../core/io";
import { parseManifest, type ModelSource } from "../core/manifest";
import type { InferenceClient } from "../worker/client";
import { contrastFamily, contrastProfile } from "../core/adapters/profile";
import { availableAdapters, scanProfileOf } from "./adapterSlice";
import type { SegmentationResult } from "./jobSlice";
import { modelsFetch, type Served } from "../test/modelsFetch";
import { resetApp, useApp } from "./store";

// The adapter slice on its own (issue 12 part 9): the shipped adapters read from the model's
// folder and checked against its manifest, adapters loaded from disk, refusals that leave the
// adapter in use, and loads overtaken by a model change. The real shipped files are served from
// public/models by a stubbed fetch (no network); the store is reset between tests.

const models = resolve(import.meta.dirname, "../../public/models");
const tissueDir = resolve(models, "siteseg-tissue");
const disk = (path: string) => new Uint8Array(readFileSync(resolve(tissueDir, path)));
const tissue = parseManifest(JSON.parse(readFileSync(resolve(tissueDir, "manifest.json"), "utf8")));
const tumour = parseManifest(JSON.parse(readFileSync(resolve(import.meta.dirname, "../../models/siteseg-tumour/manifest.json"), "utf8")));
const tissueEntry = { id: "siteseg-tissue", name: tissue.name, source: { kind: "url" as const, baseUrl: "http://localhost/models/siteseg-tissue/" } };
const tumourEntry = { id: "siteseg-tumour", name: tumour.name, source: { kind: "url" as const, baseUrl: "http://localhost/models/siteseg-tumour/" } };

/** What the stubbed fetch serves instead of the file on disk, by path under models/; `hold` delays the answer. */
let served: Record<string, Served>;
let requested: string[];
const serve = modelsFetch(() => served, (url) => requested.push(url), (path) => new Uint8Array(readFileSync(resolve(models, path))));

/** A promise the test resolves when it chooses. */
function held() {
  let release = () => {};
  const hold = new Promise<void>((r) => (release = r));
  return { hold, release };
}

const synthPd = () => [
  { name: "adapter_config.json", bytes: disk("adapters/synth-pd/adapter_config.json") },
  { name: "adapter_model.safetensors", bytes: disk("adapters/synth-pd/adapter_model.safetensors") },
];
/** synth-pd's config with `change` applied, as the bytes of a file. */
const editedConfig = (change: (c: Record<string, unknown>) => void) => {
  const config = JSON.parse(new TextDecoder().decode(disk("adapters/synth-pd/adapter_config.json"))) as Record<string, unknown>;
  change(config);
  return { name: "adapter_config.json", bytes: new TextEncoder().encode(JSON.stringify(config)) };
};
const shippedWeightsSha = (name: string) => tissue.adapters.shipped.find((a) => a.name === name)?.files?.weights.sha256;
const kept = (adapter: string | null) => ({ adapter }) as unknown as SegmentationResult;

beforeEach(() => {
  resetApp();
  served = {};
  requested = [];
  vi.stubGlobal("fetch", serve);
  useApp.setState({ models: [tissueEntry, tumourEntry], modelId: tissueEntry.id, manifest: tissue, modelStatus: "ready" });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("shipped adapters", () => {
  it("the picker offers the model's shipped adapters in the manifest's order, then those loaded from disk", async () => {
    expect(availableAdapters({ manifest: null, fileAdapters: [] })).toEqual([]);
    expect(availableAdapters(useApp.getState()).map((a) => [a.name, a.source])).toEqual(tissue.adapters.shipped.map((a) => [a.name, "shipped"]));
    await useApp.getState().loadAdapterFiles(synthPd());
    const offered = availableAdapters(useApp.getState());
    expect(offered.length).toBe(tissue.adapters.shipped.length + 1);
    expect(offered.at(-1)).toMatchObject({ name: "synth-pd (file)", source: "file", site: "synth-pd" });
  });

  it("choosing one shows it loading, then selects it, read from the model's folder with its checksum and size", async () => {
    await useApp.getState().openScan("scan.nii", writeNifti({ dims: [4, 4, 4], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array(64) }, { gzip: false }));
    expect(useApp.getState().canSegment()).toBe(true);
    const choosing = useApp.getState().selectAdapter("synth-pd");
    expect(useApp.getState().adapterStatus).toBe("loading");
    expect(useApp.getState().canSegment()).toBe(false); // a run now would miss the adapter
    await choosing;
    expect(useApp.getState().canSegment()).toBe(true);
    const { adapter, adapterStatus, adapterError } = useApp.getState();
    expect(adapterStatus).toBe("idle");
    expect(adapterError).toBeNull();
    expect(adapter?.name).toBe("synth-pd");
    expect(adapter?.sha256).toBe(shippedWeightsSha("synth-pd"));
    // the trainer's own count in the config, against what was read: all 14 slots, rank 2
    const config = JSON.parse(new TextDecoder().decode(disk("adapters/synth-pd/adapter_config.json"))) as { parameters: number };
    expect(adapter?.parameters).toBe(config.parameters);
    expect(adapter?.modules).toHaveLength(tissue.adapters.slots.length);
    expect(requested.sort()).toEqual([
      "http://localhost/models/siteseg-tissue/adapters/synth-pd/adapter_config.json",
      "http://localhost/models/siteseg-tissue/adapters/synth-pd/adapter_model.safetensors",
    ]);
  });

  it("a kept mask of the chosen adapter, or of the base, is shown at once", async () => {
    const base = kept(null);
    const pd = kept("synth-pd");
    useApp.setState({ results: { base, "adapter:synth-pd": pd }, result: base });
    await useApp.getState().selectAdapter("synth-pd");
    expect(useApp.getState().result).toBe(pd);
    await useApp.getState().selectAdapter(null);
    expect(useApp.getState().adapter).toBeNull();
    expect(useApp.getState().result).toBe(base);
  });

  it("reading one for the site study does not select it", async () => {
    const spm = await useApp.getState().getAdapter("spm152");
    expect(spm.name).toBe("spm152");
    expect(spm.sha256).toBe(shippedWeightsSha("spm152"));
    expect(useApp.getState().adapter).toBeNull();
    expect(useApp.getState().adapterStatus).toBe("idle");
    await expect(useApp.getState().getAdapter("nowhere")).rejects.toThrow(`no adapter named nowhere for ${tissue.name}`);
  });

  it("one whose weights do not match the manifest's checksum is refused; the adapter in use stays", async () => {
    await useApp.getState().selectAdapter("fpg-t2");
    const damaged = disk("adapters/synth-pd/adapter_model.safetensors");
    damaged[damaged.length - 1] ^= 0xff;
    served["siteseg-tissue/adapters/synth-pd/adapter_model.safetensors"] = { bytes: damaged };
    await useApp.getState().selectAdapter("synth-pd");
    const s = useApp.getState();
    expect(s.adapter?.name).toBe("fpg-t2");
    expect(s.adapterStatus).toBe("idle");
    expect(s.adapterError).toMatch(
      /^Adapter synth-pd could not be used: adapters\/synth-pd\/adapter_model\.safetensors does not match its manifest \(sha256 [0-9a-f]{12}…, expected 175eab18ecb3…\)/,
    );
    useApp.getState().dismissAdapterError();
    expect(useApp.getState().adapterError).toBeNull();
    expect(useApp.getState().adapter?.name).toBe("fpg-t2");
  });

  it("one whose file is missing from the model's folder is refused, naming the address", async () => {
    served["siteseg-tissue/adapters/spm152/adapter_config.json"] = { status: 404 };
    await useApp.getState().selectAdapter("spm152");
    expect(useApp.getState().adapter).toBeNull();
    expect(useApp.getState().adapterStatus).toBe("idle");
    expect(useApp.getState().adapterError).toBe(
      "Adapter spm152 could not be used: Could not load http://localhost/models/siteseg-tissue/adapters/spm152/adapter_config.json (HTTP 404)",
    );
  });

  it("a late adapter is dropped when another model has loaded meanwhile", async () => {
    useApp.setState({ client: { load: async (source: ModelSource) => ({ manifest: source.kind === "url" && source.baseUrl.includes("tumour") ? tumour : tissue, backend: "wasm" }) } as unknown as InferenceClient });
    await useApp.getState().selectModel(tissueEntry.id); // the worker holds the tissue model
    const weights = held();
    served["siteseg-tissue/adapters/synth-pd/adapter_model.safetensors"] = { hold: weights.hold };
    const choosing = useApp.getState().selectAdapter("synth-pd");
    await useApp.getState().selectModel(tumourEntry.id);
    weights.release();
    await choosing;
    const s = useApp.getState();
    expect(s.manifest).toBe(tumour);
    expect(s.adapter).toBeNull();
    expect(s.adapterError).toBeNull();
    expect(s.adapterStatus).toBe("idle"); // Segment is not held back by a load that no longer counts
    expect(availableAdapters(s)).toEqual([]); // the tumour model ships none
  });

  it("the adapter chosen last wins over one still loading, the base included", async () => {
    for (const last of ["fpg-t2", null] as const) {
      resetApp();
      useApp.setState({ manifest: tissue, models: [tissueEntry], modelId: tissueEntry.id, modelStatus: "ready" });
      const weights = held();
      served["siteseg-tissue/adapters/synth-pd/adapter_model.safetensors"] = { hold: weights.hold };
      const first = useApp.getState().selectAdapter("synth-pd");
      await useApp.getState().selectAdapter(last);
      weights.release();
      await first;
      delete served["siteseg-tissue/adapters/synth-pd/adapter_model.safetensors"];
      const s = useApp.getState();
      expect([s.adapter?.name ?? null, s.adapterStatus, s.adapterError]).toEqual([last, "idle", null]);
    }
  });
});

describe("adapters loaded from disk", () => {
  it("the two files are checked against the base, named by their site, selected, and chosen again without reading", async () => {
    await useApp.getState().selectAdapter("synth-pd");
    const shipped = useApp.getState().adapter!;
    await useApp.getState().loadAdapterFiles(synthPd());
    let s = useApp.getState();
    expect(s.adapterError).toBeNull();
    expect(s.adapter?.name).toBe("synth-pd (file)");
    expect(s.adapter?.sha256).toBe(shipped.sha256);
    expect(s.adapter?.feeds).toEqual(shipped.feeds); // the same bytes make the same graph inputs
    // the same files again: another name, so neither mask is mistaken for the other
    await useApp.getState().loadAdapterFiles(synthPd());
    expect(useApp.getState().fileAdapters.map((a) => a.name)).toEqual(["synth-pd (file)", "synth-pd (file 2)"]);

    requested = [];
    const choosing = useApp.getState().selectAdapter("synth-pd (file)");
    expect(useApp.getState().adapterStatus).toBe("idle"); // nothing to read
    await choosing;
    s = useApp.getState();
    expect(s.adapter?.name).toBe("synth-pd (file)");
    expect(requested).toEqual([]);
  });

  it("a site-less config is named after its weights file", async () => {
    const [, weights] = synthPd();
    await useApp.getState().loadAdapterFiles([editedConfig((c) => delete c.site), { ...weights, name: "clinic-b.safetensors" }]);
    expect(useApp.getState().adapterError).toBeNull();
    expect(useApp.getState().adapter?.name).toBe("clinic-b (file)");
  });

  it("needs a model, and both of its files", async () => {
    await useApp.getState().loadAdapterFiles([synthPd()[0]]);
    expect(useApp.getState().adapterError).toMatch(/^Select both files of the adapter: adapter_config\.json and its \.safetensors weights/);
    useApp.setState({ manifest: null, adapterError: null });
    await useApp.getState().loadAdapterFiles(synthPd());
    expect(useApp.getState().adapterError).toBe("Choose a model before loading an adapter");
    expect(useApp.getState().fileAdapters).toEqual([]);
    expect(useApp.getState().adapter).toBeNull();
  });

  describe("refusals leave the adapter in use and say why", () => {
    beforeEach(async () => {
      await useApp.getState().selectAdapter("fpg-t2");
    });
    const after = (error: RegExp) => {
      const s = useApp.getState();
      expect(s.adapterError).toMatch(error);
      expect(s.adapter?.name).toBe("fpg-t2");
      expect(s.fileAdapters).toEqual([]);
      expect(availableAdapters(s).map((a) => a.name)).toEqual(tissue.adapters.shipped.map((a) => a.name));
    };

    it("weights that are not numbers (NaN)", async () => {
      const tensors = readSafetensors(disk("adapters/synth-pd/adapter_model.safetensors"));
      Object.values(tensors)[3].data[5] = NaN;
      await useApp.getState().loadAdapterFiles([synthPd()[0], { name: "adapter_model.safetensors", bytes: writeSafetensors(tensors) }]);
      after(/^The adapter was not loaded: Adapter "synth-pd \(file\)": ".+" has weights that are not numbers \(NaN or infinite\)/);
    });

    it("a rank the model's slots cannot take", async () => {
      await useApp.getState().loadAdapterFiles([editedConfig((c) => (c.r = 16)), synthPd()[1]]);
      after(/^The adapter was not loaded: Adapter "synth-pd \(file\)" has rank 16; this model's slots take rank 8 at most$/);
    });

    it("a config that is not JSON, or weights that are not safetensors", async () => {
      await useApp.getState().loadAdapterFiles([{ name: "adapter_config.json", bytes: new TextEncoder().encode("{r: 2") }, synthPd()[1]]);
      after(/^The adapter was not loaded: adapter_config\.json is not valid JSON$/);
      await useApp.getState().loadAdapterFiles([synthPd()[0], { name: "weights.safetensors", bytes: new Uint8Array(4) }]);
      after(/^The adapter was not loaded: weights\.safetensors is too short to be a safetensors file$/);
    });
  });

  it("a tissue adapter does not fit the tumour model: refused for its base name, or, without one, for its shapes", async () => {
    useApp.setState({ modelId: tumourEntry.id, manifest: tumour });
    await useApp.getState().loadAdapterFiles(synthPd());
    expect(useApp.getState().adapterError).toBe('The adapter was not loaded: Adapter "synth-pd (file)" was trained for base model "siteseg-tissue", not "siteseg-tumour"');
    await useApp.getState().loadAdapterFiles([editedConfig((c) => delete c.base_model_name_or_path), synthPd()[1]]);
    expect(useApp.getState().adapterError).toMatch(/^The adapter was not loaded: Adapter "synth-pd \(file\)": ".+" has A \[.+\] and B \[.+\]; the base expects A \[.+\] and B \[.+\] \(rank 2\)$/);
    expect(useApp.getState().adapter).toBeNull();
    expect(useApp.getState().fileAdapters).toEqual([]);
  });

  it("one still being read when the model changes is dropped", async () => {
    const loading = useApp.getState().loadAdapterFiles(synthPd());
    useApp.setState({ modelId: tumourEntry.id, manifest: tumour }); // another model loaded meanwhile
    await loading;
    const s = useApp.getState();
    expect(s.adapter).toBeNull();
    expect(s.fileAdapters).toEqual([]);
    expect(s.adapterError).toBeNull();
  });
});

// Issue 24 part 8d: the warning that an adapter never saw this scan's contrast came only after a
// run (the profile was measured under the run's mask). Now the scan's contrast is measured as soon
// as an adapter that records what it learnt from is chosen: under the reference label when there
// is one, else under the base model's mask of a slab through the scan (one small job in the worker).
describe("the scan's contrast, before any run", () => {
  const DIMS: [number, number, number] = [16, 16, 40];
  const N = DIMS[0] * DIMS[1] * DIMS[2];
  const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  /** Stripes of CSF, GM and WM (1, 2, 3) over background, in a head in the middle 20 slices. */
  const classes = Uint8Array.from({ length: N }, (_, i) => (Math.floor(i / 256) < 10 || Math.floor(i / 256) >= 30 ? 0 : 1 + ((i % 16) % 3)));
  /** T2-like: CSF bright, WM dark. */
  const t2 = Float32Array.from(classes, (c) => [0, 300, 150, 60][c]);
  const nifti = (data: Float32Array | Uint8Array) => writeNifti({ dims: DIMS, affine: eye, data }, { gzip: false });
  const family = () => {
    const p = scanProfileOf(useApp.getState());
    return p && contrastFamily(p);
  };
  /** A worker client that records the volumes it is asked to segment and answers with their classes. */
  function probeClient() {
    const asked: { dims: number[]; options?: readonly string[] }[] = [];
    const client = {
      segment: async (scan: { dims: [number, number, number]; data: ArrayLike<number> }, opts: { options?: readonly string[] }) => {
        asked.push({ dims: [...scan.dims], options: opts.options });
        const labels = Uint8Array.from(scan.data, (v) => (v === 300 ? 1 : v === 150 ? 2 : v === 60 ? 3 : 0));
        return { labels: { ...scan, data: labels }, profile: contrastProfile(scan.data, labels, tissue.classes.map((c) => c.name)) };
      },
    };
    return { client: client as unknown as InferenceClient, asked };
  }
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it("under the reference label: niivue-t1 (learnt from a T1) is said not to fit a T2 before any run", async () => {
    const fake = probeClient();
    useApp.setState({ client: fake.client });
    await useApp.getState().openScan("t2.nii", nifti(t2));
    await useApp.getState().openReference("t2_seg.nii", nifti(classes));
    expect(family()).toBeNull();
    await useApp.getState().selectAdapter("niivue-t1");
    await settle();
    expect(useApp.getState().scanContrast).toMatchObject({ status: "done" });
    expect(family()).toBe("T2/FLAIR/PD-like");
    expect(useApp.getState().result).toBeNull(); // no run
    expect(fake.asked).toEqual([]); // and no probe: the reference told it
  });

  it("without a reference: the base model on a 20 mm slab through the head, once per scan, never in front of a run", async () => {
    const fake = probeClient();
    useApp.setState({ client: fake.client });
    await useApp.getState().openScan("t2.nii", nifti(t2));
    const run = useApp.getState().claimWorker("segmenting");
    await useApp.getState().selectAdapter("niivue-t1");
    expect(fake.asked).toEqual([]); // the worker is busy: the run's own mask will tell
    if (run.ok) useApp.getState().releaseWorker(run.claim);
    await useApp.getState().selectAdapter("synth-pd");
    await useApp.getState().selectAdapter("niivue-t1");
    await settle();
    expect(fake.asked).toEqual([{ dims: [16, 16, 20], options: [] }]); // 20 slices of 1 mm about the head's middle, plain pass
    expect(family()).toBe("T2/FLAIR/PD-like");
    // a new scan is measured again
    await useApp.getState().openScan("again.nii", nifti(t2));
    await settle();
    expect(fake.asked).toHaveLength(2);
  });

  it("a mask's own profile (measured with the run) comes first; an adapter that records no contrasts asks for nothing", async () => {
    const fake = probeClient();
    useApp.setState({ client: fake.client });
    await useApp.getState().openScan("t2.nii", nifti(t2));
    const shown = { adapter: null, profile: { CSF: 0.1, GM: 0.4, WM: 0.9 } } as unknown as SegmentationResult;
    useApp.setState({ results: { base: shown }, result: shown });
    await useApp.getState().selectAdapter("niivue-t1");
    await settle();
    expect(fake.asked).toEqual([]);
    expect(family()).toBe("T1-like");
    useApp.setState({ results: {}, result: null });
    await useApp.getState().loadAdapterFiles([editedConfig((c) => delete c.contrasts), synthPd()[1]]);
    await settle();
    expect(fake.asked).toEqual([]);
  });
});
