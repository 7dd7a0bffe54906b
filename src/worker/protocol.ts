// Messages between the UI and the inference worker: plain data only, buffers transferred.
import type { ContrastProfile } from "../core/adapters/profile";
import type { AdaptCase, AdaptResult } from "../core/adapt";
import type { TrainOptions } from "../core/adapt/train";
import type { Manifest } from "../core/manifest/schema";
import type { ModelSource } from "../core/manifest/source";
import type { ConventionId } from "../core/metrics/conventions";
import type { Tensor } from "../core/pipeline/runner";
import type { SegmentResult } from "../core/pipeline/segment";
import type { SelfAdaptPhase } from "../core/adapt/self";
import type { Volume } from "../core/volume/types";
import type { BackendPreference } from "../runtime/ort-web";

export type WorkerRequest =
  /** `threads`: WASM threads the page asks for (its `?threads=N`); the default is up to 4. */
  | { type: "load"; id: number; source: ModelSource; backend: BackendPreference; threads?: number }
  /** Adapter tensors travel with each run: switching adapter never touches the session. */
  /** `previews`: send the mask so far a few times during the run ("preview" replies). */
  | { type: "segment"; id: number; scan: Volume & { name?: string }; adapterFeeds?: Record<string, Tensor>; previews?: boolean; options?: string[] }
  /** Train a site adapter (core/adapt) on this scan and reference; the model must be loaded. */
  | { type: "adapt"; id: number; job: AdaptJob };

/** What the UI asks of a training run: plain data, the provenance it alone knows. */
export interface AdaptJob {
  /** The first case's id (provenance, messages) when the job trains on several cases. */
  caseId?: string;
  scan: Volume;
  reference: Volume;
  convention: ConventionId;
  /** See AdaptInput.scoreAgainst: absent = the training reference, null = not scored. */
  scoreAgainst?: { reference: Volume; convention: ConventionId } | null;
  slices?: number[];
  nSlices?: number;
  gap?: number;
  train: Partial<TrainOptions>;
  /** The base's mask of `scan`, when the app has one (uncorrected): scoring the base then needs no second run. */
  baseMask?: Volume & { data: Uint8Array };
  site: string;
  description: string;
  images: string[];
  sourceSha256: string[];
  /** The site's other labelled cases, trained on together with the first (the Site study's ticked cases). */
  moreCases?: AdaptCase[];
}

/** A finished training run: the adapter's two files and what it gained on held-out slices. */
export type AdaptOutcome = Pick<AdaptResult, "files" | "holdout" | "cases" | "warnings" | "heldOut" | "losses" | "runtime"> & {
  /** Why training did not run on the backend the model uses (WebGPU could not open or run the training graph). */
  notice?: string;
};

export type WorkerResponse =
  | { type: "loaded"; id: number; manifest: Manifest; backend: string; notice?: string }
  | { type: "progress"; id: number; done: number; total: number }
  /** The mask so far on the scan's grid (slices not yet run are background). */
  | { type: "preview"; id: number; labels: Uint8Array }
  /** sessionId: which inference session ran it (one per model load), so tests can see it is reused. */
  | { type: "segmented"; id: number; result: SegmentResult; sessionId: string; profile: ContrastProfile }
  | { type: "trainProgress"; id: number; step: number; loss: number }
  /** Where a self-adapting run is: the plain segmentation, the training, the adapted segmentation. */
  | { type: "phase"; id: number; phase: SelfAdaptPhase }
  | { type: "adapted"; id: number; outcome: AdaptOutcome }
  | { type: "error"; id: number; error: { name: string; message: string } };
