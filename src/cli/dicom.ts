/** DICOM for the CLI: --image may be a folder holding one DICOM series (or a single DICOM file), converted by dcm2niix in-process. */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { convertSeries, DicomError, groupDicomSeries, orientationLabel, seriesScanName, type DicomInput } from "../core/dicom";
import type { Volume } from "../core/volume/types";
import { runDcm2niixNode } from "../runtime/dcm2niix-node";
import { describeFsError, RuntimeError } from "./errors";

/** Every file below `dir` (hidden files left out), with its path relative to `dir`. */
async function filesBelow(dir: string): Promise<DicomInput[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    throw describeFsError(e, `read the folder ${dir}`) ?? e;
  }
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith("."));
  return Promise.all(
    files.map(async (e) => {
      const path = join(e.parentPath, e.name);
      return { name: relative(dir, path), bytes: new Uint8Array(await readFile(path)) };
    }),
  );
}

/** The folder all of a series' files share (relative to the given one). */
function commonFolder(names: string[]): string {
  const parts = names.map((n) => dirname(n).split("/"));
  const common: string[] = [];
  for (let i = 0; parts.every((p) => p[i] !== undefined && p[i] === parts[0][i]); i++) common.push(parts[0][i]);
  return common.filter((p) => p !== ".").join("/");
}

/**
 * The scan a DICOM folder holds: its one series converted by dcm2niix and read by the project's
 * reader. Several series are an error that lists them and the folder of each, so that the user
 * can point --image at one.
 */
export async function readDicomFolder(dir: string, what: string, files?: DicomInput[]): Promise<{ name: string; volume: Volume; bytes: Uint8Array }> {
  const inputs = files ?? (await filesBelow(dir));
  const { series, skipped } = groupDicomSeries(inputs);
  if (series.length === 0) {
    const why = skipped.length ? ` (${[...new Set(skipped.map((s) => s.reason))].join("; ")})` : " (it is empty)";
    throw new RuntimeError(`cannot read ${what} ${dir}: no DICOM image in it${why}`);
  }
  if (series.length > 1) {
    const list = series.map((s) => {
      const folder = commonFolder(s.files.map((n) => inputs[n].name));
      return `  ${s.number !== null ? `#${s.number} ` : ""}${s.description}: ${s.images} images, ${orientationLabel(s.orientation)}, in ${folder ? join(dir, folder) : dir}`;
    });
    throw new RuntimeError(`cannot read ${what} ${dir}: it holds ${series.length} DICOM series; give --${what === "label" ? "label" : "image"} the folder of one of them:\n${list.join("\n")}`);
  }
  const [only] = series;
  try {
    const { volume, nifti } = await convertSeries(runDcm2niixNode, only.files.map((n) => inputs[n]), `${dir}`);
    // the NIfTI dcm2niix made: what the app hashes for a DICOM scan's provenance
    return { name: seriesScanName(only), volume, bytes: nifti.bytes };
  } catch (e) {
    if (e instanceof DicomError) throw new RuntimeError(`cannot read ${what} ${e.message}`);
    throw e;
  }
}
