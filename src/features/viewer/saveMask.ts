import { download, jsonBlob } from "../../components/download";
import { exportStem, maskProvenance } from "../../core/export";
import { writeNifti } from "../../core/io";
import type { SegmentationResult } from "../../stores/jobSlice";
import { useApp } from "../../stores/store";

declare const __APP_VERSION__: string;

/**
 * Saves the mask (on the scan's grid, with its affine as sform and qform) and beside it its
 * provenance record: "<scan>_siteseg-mask[_adapter].nii.gz" and the same stem with .json.
 */
export async function saveMask(result: SegmentationResult) {
  const { scan, manifest } = useApp.getState();
  if (!scan || !manifest) return;
  const stem = exportStem(result.scanName, "mask", result.adapter);
  const corrected = result.corrected?.length ? " corrected" : "";
  const nifti = writeNifti(result.labels, { description: `siteseg ${result.modelId} ${result.modelVersion}${result.adapter ? ` + ${result.adapter}` : ""}${corrected}` });
  const provenance = await maskProvenance({
    file: `${stem}.nii.gz`,
    labels: result.labels,
    classes: manifest.classes,
    input: { name: result.scanName, sha256: await scan.sha256 },
    model: { id: result.modelId, name: result.modelName, version: result.modelVersion, sha256: result.modelSha256 },
    adapter: result.adapter && result.adapterSha256 ? { name: result.adapter, sha256: result.adapterSha256 } : null,
    backend: result.backend,
    inferenceOptions: result.options,
    timings: result.ms,
    cleanup: result.cleanup ?? null,
    corrected: result.corrected,
    appVersion: __APP_VERSION__,
    date: new Date(),
  });
  download(`${stem}.nii.gz`, new Blob([nifti as BlobPart], { type: "application/gzip" }));
  download(`${stem}.json`, jsonBlob(provenance));
  // its corrections are on disk now: a new scan need not ask about them
  useApp.getState().markSaved(result);
}
