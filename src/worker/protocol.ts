// Messages between the UI and the inference worker: plain data only, buffers transferred.
import type { Manifest } from "../core/manifest/schema";
import type { Tensor } from "../core/pipeline/runner";
import type { SegmentResult } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import type { BackendPreference } from "../runtime/ort-web";

export type WorkerRequest =
  | { type: "load"; id: number; modelBaseUrl: string; backend: BackendPreference }
  /** Adapter tensors travel with each run: switching adapter never touches the session. */
  | { type: "segment"; id: number; scan: Volume; adapterFeeds?: Record<string, Tensor> };

export type WorkerResponse =
  | { type: "loaded"; id: number; manifest: Manifest; backend: string }
  | { type: "progress"; id: number; done: number; total: number }
  /** sessionId: which inference session ran it (one per model load), so tests can see it is reused. */
  | { type: "segmented"; id: number; result: SegmentResult; sessionId: string }
  | { type: "error"; id: number; error: { name: string; message: string } };
