// Messages between the UI and the inference worker: plain data only, buffers transferred.
import type { Manifest } from "../core/manifest/schema";
import type { SegmentResult } from "../core/pipeline/segment";
import type { Volume } from "../core/volume/types";
import type { BackendPreference } from "../runtime/ort-web";

export type WorkerRequest =
  | { type: "load"; id: number; modelBaseUrl: string; backend: BackendPreference }
  | { type: "segment"; id: number; scan: Volume };

export type WorkerResponse =
  | { type: "loaded"; id: number; manifest: Manifest; backend: string }
  | { type: "progress"; id: number; done: number; total: number }
  | { type: "segmented"; id: number; result: SegmentResult }
  | { type: "error"; id: number; error: { name: string; message: string } };
