import { loadModel, modelFolder, parseManifest, type Manifest, type ModelSource } from "../core/manifest";
import { modelFileReader } from "../runtime/model-source";
import type { BackendPreference } from "../runtime/ort-web";
import { InferenceClient } from "../worker/client";
import { message, type Slice } from "./types";

export interface ModelEntry {
  id: string;
  name: string;
  /** Where its manifest.json and files are: the app's models folder, or files the user opened. */
  source: ModelSource;
}

export interface ModelSlice {
  client: InferenceClient;
  models: ModelEntry[];
  modelId: string | null;
  manifest: Manifest | null;
  backendPreference: BackendPreference;
  backend: string | null;
  /** Why the backend in use is not the one chosen (WebGPU could not run the model), when so. */
  backendNotice: string | null;
  modelStatus: "idle" | "loading" | "ready" | "error";
  modelError: string | null;
  /** Why a model the user opened from disk was refused (the model in use stays). */
  modelOpenError: string | null;
  /** The entry whose model the worker last loaded: masks and adapters belong to it (modelId may be one still loading, or refused). */
  loadedModelId: string | null;
  /** "Open model…": a model folder (or its files) holding manifest.json and model.onnx, validated, then selected. */
  openModelFiles: (files: { path: string; file: Blob }[]) => Promise<void>;
  dismissModelOpenError: () => void;
  loadModelList: () => Promise<void>;
  selectModel: (id: string) => Promise<void>;
  setBackendPreference: (b: BackendPreference) => Promise<void>;
}

const modelsRoot = () => new URL(`${import.meta.env.BASE_URL}models/`, location.href).href;

export const createModelSlice: Slice<ModelSlice> = (set, get) => {
  return {
  client: new InferenceClient(),
  models: [],
  modelId: null,
  manifest: null,
  backendPreference: "auto",
  backend: null,
  backendNotice: null,
  modelStatus: "idle",
  modelError: null,
  modelOpenError: null,
  loadedModelId: null,
  loadModelList: async () => {
    try {
      const res = await fetch(`${modelsRoot()}index.json`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const ids = (await res.json()) as string[];
      const models = await Promise.all(
        ids.map(async (id) => {
          const baseUrl = `${modelsRoot()}${id}/`;
          const res = await fetch(`${baseUrl}manifest.json`);
          if (!res.ok) throw new Error(`${id}/manifest.json: HTTP ${res.status}`);
          const manifest = parseManifest(await res.json(), `${id}/manifest.json`);
          return { id, name: manifest.name, source: { kind: "url" as const, baseUrl } };
        }),
      );
      set({ models: [...models, ...get().models.filter((m) => m.source.kind === "files")] });
      if (models.length && !get().modelId) await get().selectModel(models[0].id);
    } catch (e) {
      set({ modelStatus: "error", modelError: `Could not read the shipped model list: ${message(e)}` });
    }
  },
  selectModel: async (id) => {
    const entry = get().models.find((m) => m.id === id);
    if (!entry) return;
    get().leaveModel();
    set({ modelId: id, modelStatus: "loading", modelError: null, backend: null, backendNotice: null });
    try {
      const { manifest, backend, notice } = await get().client.load(entry.source, get().backendPreference);
      if (get().modelId !== id) return; // another model was picked meanwhile
      set({ manifest, backend, backendNotice: notice ?? null, modelStatus: "ready" });
      // what belonged to the last model goes once another has loaded (a refused one loses nothing);
      // a training still running (its controls are locked meanwhile, so only a script gets here) ends, and says why
      if (get().loadedModelId !== id) get().newModel();
      set({ loadedModelId: id });
    } catch (e) {
      if (get().modelId === id) set({ modelStatus: "error", modelError: `Model ${entry.name} could not be loaded: ${message(e)}` });
    }
  },
  setBackendPreference: async (b) => {
    set({ backendPreference: b });
    const id = get().modelId;
    if (id) await get().selectModel(id);
  },
  openModelFiles: async (files) => {
    set({ modelOpenError: null });
    const previous = get().loadedModelId;
    const picked = get().modelId;
    let entry: ModelEntry;
    try {
      // schema and checksums here, before the model in use is let go; graph names in the worker
      const source: ModelSource = { kind: "files", files: modelFolder(files) };
      const { manifest } = await loadModel(modelFileReader(source));
      entry = { id: `file:${manifest.id}@${manifest.version}`, name: `${manifest.name} ${manifest.version} (disk)`, source };
    } catch (e) {
      return set({ modelOpenError: `The model was not opened: ${message(e)}` });
    }
    set({ models: [...get().models.filter((m) => m.id !== entry.id), entry] });
    // a model picked while the folder was checked wins: the folder waits in the list
    if (get().modelId !== picked) return;
    await get().selectModel(entry.id);
    if (get().modelId === entry.id && get().modelStatus === "error") {
      const why = get().modelError;
      set({ models: get().models.filter((m) => m.id !== entry.id), modelOpenError: why ? `The model was not opened: ${why.replace(/^Model .*? could not be loaded: /, "")}` : null });
      if (previous) await get().selectModel(previous);
    }
  },
  dismissModelOpenError: () => set({ modelOpenError: null }),
  };
};
