import { voxelBytes } from "../io/bytes";
import { sha256Hex } from "../manifest/load";
import { voxelVolumeMl } from "../volume/affine";
import type { Mat4, Volume } from "../volume/types";
import { roundTo } from "./names";

/** A mask: one class index per voxel. */
type Labels = Volume & { data: Uint8Array };

export interface ClassVolume {
  index: number;
  name: string;
  voxels: number;
  ml: number;
}

/** Voxels and millilitres of each class of a label map (every class of `classes`, background included). */
export function classVolumes(labels: Labels, classes: { index: number; name: string }[]): ClassVolume[] {
  const counts = new Float64Array(256);
  const data = labels.data;
  for (let i = 0; i < data.length; i++) counts[data[i]]++;
  const voxelMl = voxelVolumeMl(labels.affine);
  return classes.map(({ index, name }) => ({ index, name, voxels: counts[index], ml: counts[index] * voxelMl }));
}

/** What a saved mask came from; written beside it as <mask stem>.json. */
export interface MaskProvenance {
  kind: "siteseg-mask";
  schema_version: 1;
  /** The mask file this record describes. */
  file: string;
  /** sha256 of the mask's voxel bytes as saved (uint8, i fastest): check a file against its record without its header or gzip. */
  mask_sha256: string;
  date: string;
  app: { name: "siteseg"; version: string };
  /** The scan as the app received it (its bytes after any HTTP decoding). */
  input: { name: string; sha256: string };
  model: { id: string; name: string; version: string; sha256: string };
  /** sha256 of the adapter's adapter_model.safetensors bytes. */
  adapter: { name: string; sha256: string } | "none";
  backend: string;
  /** The manifest's inference options the mask was made with (e.g. "flip"); empty when none. */
  inference_options: string[];
  timings_ms: { preprocess: number; inference: number; postprocess: number; total: number };
  /** What the manifest's mask cleanup (an inference option) changed before the mask was shown; null when it did not run. */
  cleanup: ProvenanceCleanup | null;
  /** The scan's voxel grid and affine, which the mask keeps (as its sform and qform). */
  grid: { dims: [number, number, number]; affine: Mat4 };
  /** Per class (background included): voxels and volume in mL. */
  classes: ClassVolume[];
  /** Slices corrected by hand (their voxels are the user's, not the model's); empty when none. */
  corrected_slices: { axis: number; index: number }[];
}

export interface ProvenanceCleanup {
  option: string;
  removed: { voxels: number; ml: number; fragments: number };
  filled: { voxels: number; ml: number; holes: number };
}

export interface ProvenanceInput {
  file: string;
  labels: Labels;
  classes: { index: number; name: string }[];
  input: MaskProvenance["input"];
  model: MaskProvenance["model"];
  adapter: { name: string; sha256: string } | null;
  backend: string;
  inferenceOptions?: string[];
  timings: MaskProvenance["timings_ms"];
  cleanup?: ProvenanceCleanup | null;
  corrected?: { axis: number; index: number }[];
  appVersion: string;
  date: Date;
}

/** The provenance record of a mask about to be saved. */
export async function maskProvenance(p: ProvenanceInput): Promise<MaskProvenance> {
  const corrected = (p.corrected ?? []).map(({ axis, index }) => ({ axis, index })).sort((a, b) => a.axis - b.axis || a.index - b.index);
  const t = p.timings;
  return {
    kind: "siteseg-mask",
    schema_version: 1,
    file: p.file,
    mask_sha256: await sha256Hex(voxelBytes(p.labels.data, true)),
    date: p.date.toISOString(),
    app: { name: "siteseg", version: p.appVersion },
    input: { name: p.input.name, sha256: p.input.sha256 },
    model: { id: p.model.id, name: p.model.name, version: p.model.version, sha256: p.model.sha256 },
    adapter: p.adapter ? { name: p.adapter.name, sha256: p.adapter.sha256 } : "none",
    backend: p.backend,
    inference_options: [...(p.inferenceOptions ?? [])],
    timings_ms: { preprocess: roundTo(t.preprocess, 1), inference: roundTo(t.inference, 1), postprocess: roundTo(t.postprocess, 1), total: roundTo(t.total, 1) },
    cleanup: p.cleanup
      ? { option: p.cleanup.option, removed: { ...p.cleanup.removed, ml: roundTo(p.cleanup.removed.ml, 3) }, filled: { ...p.cleanup.filled, ml: roundTo(p.cleanup.filled.ml, 3) } }
      : null,
    grid: { dims: [...p.labels.dims], affine: [...p.labels.affine] },
    classes: classVolumes(p.labels, p.classes).map((c) => ({ ...c, ml: roundTo(c.ml, 3) })),
    corrected_slices: corrected,
  };
}
