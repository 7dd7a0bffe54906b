import { parseManifest, type Manifest } from "../core/manifest";
import type { BackendPreference } from "../runtime/ort-web";
import { InferenceClient } from "../worker/client";
import { message, type Slice } from "./types";

export interface ModelEntry {
  id: string;
  name: string;
  /** Folder URL ending in '/', holding manifest.json and the model files. */
  baseUrl: string;
}

export interface ModelSlice {
  client: InferenceClient;
  models: ModelEntry[];
  modelId: string | null;
  manifest: Manifest | null;
  backendPreference: BackendPreference;
  backend: string | null;
  modelStatus: "idle" | "loading" | "ready" | "error";
  modelError: string | null;
  loadModelList: () => Promise<void>;
  selectModel: (id: string) => Promise<void>;
  setBackendPreference: (b: BackendPreference) => Promise<void>;
}

const modelsRoot = () => new URL(`${import.meta.env.BASE_URL}models/`, location.href).href;

export const createModelSlice: Slice<ModelSlice> = (set, get) => ({
  client: new InferenceClient(),
  models: [],
  modelId: null,
  manifest: null,
  backendPreference: "auto",
  backend: null,
  modelStatus: "idle",
  modelError: null,
  loadModelList: async () => {
    try {
      const res = await fetch(`${modelsRoot()}index.json`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const ids = (await res.json()) as string[];
      const models = await Promise.all(
        ids.map(async (id) => {
          const baseUrl = `${modelsRoot()}${id}/`;
          const manifest = parseManifest(await (await fetch(`${baseUrl}manifest.json`)).json(), `${id}/manifest.json`);
          return { id, name: manifest.name, baseUrl };
        }),
      );
      set({ models });
      if (models.length && !get().modelId) await get().selectModel(models[0].id);
    } catch (e) {
      set({ modelStatus: "error", modelError: `Could not read the shipped model list: ${message(e)}` });
    }
  },
  selectModel: async (id) => {
    const entry = get().models.find((m) => m.id === id);
    if (!entry) return;
    get().cancelSegmentation();
    // Adapters belong to a base: switching model drops the selected one.
    const reset = get().modelId !== id ? { adapter: null, fileAdapters: [], adapterError: null } : {};
    if (get().modelId !== id) get().clearResults(); // another model's masks are not this one's
    set({ modelId: id, modelStatus: "loading", modelError: null, backend: null, ...reset });
    try {
      const { manifest, backend } = await get().client.load(entry.baseUrl, get().backendPreference);
      if (get().modelId !== id) return; // another model was picked meanwhile
      set({ manifest, backend, modelStatus: "ready" });
    } catch (e) {
      if (get().modelId === id) set({ modelStatus: "error", modelError: `Model ${entry.name} could not be loaded: ${message(e)}` });
    }
  },
  setBackendPreference: async (b) => {
    set({ backendPreference: b });
    const id = get().modelId;
    if (id) await get().selectModel(id);
  },
});
