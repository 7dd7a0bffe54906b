import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeNifti } from "../core/io";
import type { ModelSource } from "../core/manifest";
import type { BackendPreference } from "../runtime/ort-web";
import type { InferenceClient } from "../worker/client";
import type { SegmentationResult } from "./jobSlice";
import { modelsFetch, type Served } from "../test/modelsFetch";
import { loadAsWorker } from "../test/workerLoad";
import { resetApp, useApp } from "./store";

// The model slice on its own (issue 12 part 9): the shipped list, loading a model, failures that
// say why, a model picked while another loads, masks and adapters that belong to a model, and
// models opened from disk. The shipped files are served from disk by a stubbed fetch (no
// network). The worker client is replaced by one that does what the inference worker does on
// "load" (reads the files and checks their checksums, opens the graph — here on
// onnxruntime-node — and checks its tensor names against the manifest), in this thread.

const tissueDir = resolve(import.meta.dirname, "../../public/models/siteseg-tissue");
const tumourDir = resolve(import.meta.dirname, "../../models/siteseg-tumour");
/** The app's models folder: public/models, plus the tumour model when the index lists it. */
const dirs: Record<string, string> = { "siteseg-tissue": tissueDir, "siteseg-tumour": tumourDir };
const disk = (dir: string, path: string) => new Uint8Array(readFileSync(resolve(dir, path)));
const tissueName = "Brain tissue · 2.5D U-Net";
const tumourName = "Brain tumour · 2.5D U-Net";

/** What the stubbed fetch serves instead of the file on disk, by path under models/. */
let served: Record<string, Served>;
let requested: string[];
const serve = modelsFetch(
  () => served,
  (url) => requested.push(url),
  (path) => {
    const [id, ...rest] = path.split("/");
    return path === "index.json" ? disk(resolve(tissueDir, ".."), "index.json") : disk(dirs[id], rest.join("/"));
  },
);
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const bothShipped = () => (served["index.json"] = { bytes: json(["siteseg-tissue", "siteseg-tumour"]) });
const damaged = (dir: string) => {
  const bytes = disk(dir, "model.onnx");
  bytes[bytes.length - 1] ^= 0xff;
  return { bytes };
};

/** The worker's "load", in this thread; a model's load can be held until the test releases it. */
function workerClient() {
  const loads: { source: ModelSource; backend: BackendPreference }[] = [];
  const holds = new Map<string, Promise<void>>();
  const client = {
    load: async (source: ModelSource, backend: BackendPreference) => {
      loads.push({ source, backend });
      await holds.get(source.kind === "url" ? source.baseUrl : "files");
      const manifest = await loadAsWorker(source);
      // the worker's fallback, scripted: WebGPU is never there in these tests
      return backend === "webgpu" ? { manifest, backend: "wasm (test)", notice: "WebGPU could not run this model; WASM is used" } : { manifest, backend: "wasm (test)" };
    },
  };
  const hold = (id: string) => {
    let release = () => {};
    holds.set(`http://localhost/models/${id}/`, new Promise<void>((r) => (release = r)));
    return () => release();
  };
  return { client: client as unknown as InferenceClient, loads, hold };
}

let worker: ReturnType<typeof workerClient>;
beforeEach(() => {
  resetApp();
  served = {};
  requested = [];
  vi.stubGlobal("fetch", serve);
  vi.stubGlobal("location", new URL("http://localhost/"));
  worker = workerClient();
  useApp.setState({ client: worker.client });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

const kept = { adapter: null } as unknown as SegmentationResult;

describe("the shipped models", () => {
  it("are listed and the first is loaded: 'loading', then ready with the backend the worker used", async () => {
    const statuses: string[] = [];
    const unsubscribe = useApp.subscribe((s) => statuses.push(s.modelStatus));
    await useApp.getState().loadModelList();
    unsubscribe();
    const s = useApp.getState();
    expect(s.models).toEqual([{ id: "siteseg-tissue", name: tissueName, source: { kind: "url", baseUrl: "http://localhost/models/siteseg-tissue/" } }]);
    expect(statuses).toContain("loading");
    expect(s.modelStatus).toBe("ready");
    expect(s.modelId).toBe("siteseg-tissue");
    expect(s.manifest?.version).toBe("0.4.0");
    expect(s.backend).toBe("wasm (test)");
    expect(s.backendNotice).toBeNull();
    expect(s.modelError).toBeNull();
    expect(worker.loads.map((l) => l.backend)).toEqual(["auto"]);
  });

  it("a list that cannot be read, or a manifest in it that is not valid, says so", async () => {
    served["index.json"] = { status: 404 };
    await useApp.getState().loadModelList();
    expect(useApp.getState().modelStatus).toBe("error");
    expect(useApp.getState().modelError).toBe("Could not read the shipped model list: HTTP 404");
    expect(useApp.getState().models).toEqual([]);

    served = { "siteseg-tissue/manifest.json": { bytes: json({ schemaVersion: 1, id: "siteseg-tissue" }) } };
    await useApp.getState().loadModelList();
    expect(useApp.getState().modelError).toMatch(/^Could not read the shipped model list: siteseg-tissue\/manifest\.json is not a valid model manifest — /);
    expect(useApp.getState().models).toEqual([]);

    // a listed model whose manifest is missing is named, not reported as a page that is not JSON
    served = { "siteseg-tissue/manifest.json": { status: 404 } };
    await useApp.getState().loadModelList();
    expect(useApp.getState().modelError).toBe("Could not read the shipped model list: siteseg-tissue/manifest.json: HTTP 404");
    expect(worker.loads).toEqual([]);
  });

  it("a model whose model.onnx does not match its checksum is not loaded, and says why; once the file is right it loads", async () => {
    served["siteseg-tissue/model.onnx"] = damaged(tissueDir);
    await useApp.getState().loadModelList();
    let s = useApp.getState();
    expect(s.modelStatus).toBe("error");
    expect(s.modelError).toMatch(new RegExp(`^Model ${tissueName} could not be loaded: model\\.onnx does not match its manifest \\(sha256 [0-9a-f]{12}…, expected f0a453e472e5…\\)`));
    expect(s.backend).toBeNull();
    expect(s.canSegment()).toBe(false);

    delete served["siteseg-tissue/model.onnx"];
    await useApp.getState().selectModel("siteseg-tissue");
    s = useApp.getState();
    expect(s.modelStatus).toBe("ready");
    expect(s.modelError).toBeNull();
    expect(s.manifest?.name).toBe(tissueName);
  });

  it("an id the list does not have changes nothing", async () => {
    await useApp.getState().loadModelList();
    await useApp.getState().selectModel("nowhere");
    expect(useApp.getState().modelId).toBe("siteseg-tissue");
    expect(useApp.getState().modelStatus).toBe("ready");
    expect(worker.loads).toHaveLength(1);
  });
});

describe("switching models", () => {
  beforeEach(async () => {
    bothShipped();
    await useApp.getState().loadModelList();
  });

  it("both are listed and the first is in use", () => {
    expect(useApp.getState().models.map((m) => m.name)).toEqual([tissueName, tumourName]);
    expect(useApp.getState().manifest?.name).toBe(tissueName);
  });

  it("a model picked while another still loads wins; the first one's late answer is dropped", async () => {
    const release = worker.hold("siteseg-tumour");
    const slow = useApp.getState().selectModel("siteseg-tumour");
    expect(useApp.getState().modelStatus).toBe("loading");
    expect(useApp.getState().backend).toBeNull();
    await useApp.getState().selectModel("siteseg-tissue");
    release();
    await slow;
    const s = useApp.getState();
    expect(s.modelId).toBe("siteseg-tissue");
    expect(s.manifest?.name).toBe(tissueName);
    expect(s.modelStatus).toBe("ready");
  });

  it("a failure of a load that was overtaken is not shown", async () => {
    served["siteseg-tumour/model.onnx"] = damaged(tumourDir);
    const release = worker.hold("siteseg-tumour");
    const slow = useApp.getState().selectModel("siteseg-tumour");
    await useApp.getState().selectModel("siteseg-tissue");
    release();
    await slow;
    expect(useApp.getState().modelStatus).toBe("ready");
    expect(useApp.getState().modelError).toBeNull();
    expect(useApp.getState().modelId).toBe("siteseg-tissue");
  });

  it("masks and adapters belong to a model: a backend change keeps them, a failed switch loses nothing, another model drops them", async () => {
    await useApp.getState().selectAdapter("synth-pd");
    useApp.setState({ results: { base: kept }, result: kept });
    const still = () => {
      const s = useApp.getState();
      expect(s.result).toBe(kept);
      expect(s.adapter?.name).toBe("synth-pd");
    };

    await useApp.getState().setBackendPreference("wasm");
    expect(worker.loads.at(-1)).toMatchObject({ backend: "wasm", source: { baseUrl: "http://localhost/models/siteseg-tissue/" } });
    expect(useApp.getState().modelStatus).toBe("ready");
    still();

    served["siteseg-tumour/model.onnx"] = damaged(tumourDir);
    await useApp.getState().selectModel("siteseg-tumour");
    expect(useApp.getState().modelStatus).toBe("error");
    expect(useApp.getState().modelError).toMatch(new RegExp(`^Model ${tumourName} could not be loaded: model\\.onnx does not match its manifest`));
    still();
    await useApp.getState().selectModel("siteseg-tissue");
    expect(useApp.getState().modelStatus).toBe("ready");
    still();

    delete served["siteseg-tumour/model.onnx"];
    await useApp.getState().selectModel("siteseg-tumour");
    const s = useApp.getState();
    expect(s.modelStatus).toBe("ready");
    expect(s.manifest?.name).toBe(tumourName);
    expect(s.results).toEqual({});
    expect(s.result).toBeNull();
    expect(s.adapter).toBeNull();
    expect(s.fileAdapters).toEqual([]);
  });

  // Issue 24 part 8c, through the model select: the tumour model over a FreeSurfer reference.
  it("a model that does not offer the reference's convention leaves it unscored, with a note; the one that does scores it again", async () => {
    const eye = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const classes = Uint8Array.from({ length: 32 }, (_, i) => i % 4);
    const volume = (data: Uint8Array | Float32Array) => writeNifti({ dims: [4, 4, 2], affine: eye, data }, { gzip: false });
    await useApp.getState().openScan("scan.nii", volume(Float32Array.from(classes, (v) => v * 10)));
    const mask = { adapter: null, labels: { dims: [4, 4, 2], affine: eye, data: classes } } as unknown as SegmentationResult;
    useApp.setState({ results: { base: mask }, result: mask });
    await useApp.getState().openReference("aseg.nii", volume(Uint8Array.from(classes, (v) => [0, 4, 3, 2][v])));
    expect(useApp.getState().evaluation?.meanDice).toBe(1);
    await useApp.getState().selectModel("siteseg-tumour");
    expect(useApp.getState()).toMatchObject({ convention: "freesurfer", evaluation: null, reference: { name: "aseg.nii" } });
    expect(useApp.getState().conventionUnfit).toMatch(/^This reference is numbered in a convention Brain tumour · 2\.5D U-Net does not offer \(FreeSurfer aseg \/ aparc numbering\): it is not scored\./);
    await useApp.getState().selectModel("siteseg-tissue");
    expect(useApp.getState().conventionUnfit).toBeNull();
    expect(useApp.getState().reference?.name).toBe("aseg.nii");
  });

  // Issue 24 part 8e: the training panel kept showing the last model's adapter, its loss and held-out Dice.
  it("the training panel's last run belongs to a model: another model clears it, a backend change keeps it", async () => {
    const outcome = { name: "site (trained)" } as never;
    useApp.setState({ training: { status: "done", step: 5, steps: 5, loss: 0.1, error: null, outcome } });
    await useApp.getState().setBackendPreference("wasm");
    expect(useApp.getState().training.outcome).toBe(outcome);
    await useApp.getState().selectModel("siteseg-tumour");
    expect(useApp.getState().training).toEqual({ status: "idle", step: 0, steps: 0, loss: null, error: null, outcome: null });

    // a run still going (only a script gets here: the controls are locked) ends, and says why
    const running = useApp.getState().claimTraining(5);
    await useApp.getState().selectModel("siteseg-tissue");
    expect(running?.abort.signal.aborted).toBe(true);
    expect(useApp.getState().activeJob).toBeNull();
    expect(useApp.getState().training).toMatchObject({ status: "cancelled", note: "another model was loaded", outcome: null });
  });

  it("the fallback's notice shows while WebGPU cannot run the model, and goes with a backend that needs none", async () => {
    await useApp.getState().setBackendPreference("webgpu");
    expect(useApp.getState().backendPreference).toBe("webgpu");
    expect(useApp.getState().backend).toBe("wasm (test)");
    expect(useApp.getState().backendNotice).toBe("WebGPU could not run this model; WASM is used");
    // while the next load runs, the notice of the one before is not shown against it
    const switching = useApp.getState().setBackendPreference("wasm");
    expect([useApp.getState().modelStatus, useApp.getState().backendNotice]).toEqual(["loading", null]);
    await switching;
    expect(useApp.getState().backendNotice).toBeNull();
    expect(worker.loads.map((l) => l.backend)).toEqual(["auto", "webgpu", "wasm"]);
  });
});

describe("a model opened from disk", () => {
  /** The tissue model's folder as the folder picker gives it. */
  const folder = (change: Record<string, Uint8Array | null> = {}) => {
    const files: Record<string, Uint8Array | null> = {
      "manifest.json": disk(tissueDir, "manifest.json"),
      "model.onnx": disk(tissueDir, "model.onnx"),
      "adapters/synth-pd/adapter_config.json": disk(tissueDir, "adapters/synth-pd/adapter_config.json"),
      "adapters/synth-pd/adapter_model.safetensors": disk(tissueDir, "adapters/synth-pd/adapter_model.safetensors"),
      ...change,
    };
    return Object.entries(files).flatMap(([path, bytes]) => (bytes ? [{ path: `tissue-copy/${path}`, file: new Blob([bytes as Uint8Array<ArrayBuffer>]) }] : []));
  };
  const editedManifest = (change: (m: { input: { inputName: string } }) => void) => {
    const m = JSON.parse(readFileSync(resolve(tissueDir, "manifest.json"), "utf8")) as { input: { inputName: string } };
    change(m);
    return json(m);
  };

  beforeEach(async () => {
    await useApp.getState().loadModelList();
    useApp.setState({ results: { base: kept }, result: kept });
  });

  it("is checked, listed as '(disk)' and used; its adapters are read from its own files", async () => {
    await useApp.getState().openModelFiles(folder());
    let s = useApp.getState();
    expect(s.modelOpenError).toBeNull();
    expect(s.models.map((m) => m.name)).toEqual([tissueName, `${tissueName} 0.4.0 (disk)`]);
    expect(s.modelId).toBe("file:siteseg-tissue@0.4.0");
    expect(s.modelStatus).toBe("ready");
    expect(s.results).toEqual({}); // the masks were the shipped model's

    requested = [];
    await useApp.getState().selectAdapter("synth-pd");
    s = useApp.getState();
    expect(s.adapterError).toBeNull();
    expect(s.adapter?.name).toBe("synth-pd");
    expect(requested).toEqual([]);

    // opened again: one entry, not two
    await useApp.getState().openModelFiles(folder());
    expect(useApp.getState().models).toHaveLength(2);
  });

  it.each([
    ["no manifest.json", { "manifest.json": null }, /^The model was not opened: no manifest\.json among the opened files/],
    ["no model.onnx", { "model.onnx": null }, /^The model was not opened: the opened model has no model\.onnx, which its manifest names: open the whole model folder$/],
    ["a damaged model.onnx", { "model.onnx": damaged(tissueDir).bytes }, /^The model was not opened: model\.onnx does not match its manifest \(sha256/],
    ["a manifest that is not JSON", { "manifest.json": new TextEncoder().encode("{ not json") }, /^The model was not opened: manifest\.json is not valid JSON/],
  ])("%s is refused before the model in use is let go", async (_, change, error) => {
    await useApp.getState().openModelFiles(folder(change));
    const s = useApp.getState();
    expect(s.modelOpenError).toMatch(error);
    expect(s.models.map((m) => m.name)).toEqual([tissueName]);
    expect(s.modelId).toBe("siteseg-tissue");
    expect(s.modelStatus).toBe("ready");
    expect(s.result).toBe(kept);
    expect(worker.loads).toHaveLength(1); // the worker was never asked
    useApp.getState().dismissModelOpenError();
    expect(useApp.getState().modelOpenError).toBeNull();
  });

  it("one the worker refuses (a tensor name its graph lacks) is taken off the list, and the model in use before is loaded again", async () => {
    await useApp.getState().openModelFiles(folder({ "manifest.json": editedManifest((m) => (m.input.inputName = "img")) }));
    const s = useApp.getState();
    expect(s.modelOpenError).toMatch(/^The model was not opened: manifest\.json does not match model\.onnx — input\.inputName: "img" is not an input of model\.onnx/);
    expect(s.models.map((m) => m.name)).toEqual([tissueName]);
    expect(s.modelId).toBe("siteseg-tissue");
    expect(s.modelStatus).toBe("ready");
    expect(s.modelError).toBeNull();
    expect(s.manifest?.name).toBe(tissueName);
    expect(s.result).toBe(kept); // the model in use is the one that made it
    expect(worker.loads.map((l) => l.source.kind)).toEqual(["url", "files", "url"]);
  });
});
