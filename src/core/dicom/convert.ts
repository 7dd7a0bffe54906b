import { readVolume } from "../io";
import { product } from "../io/bytes";
import type { Volume } from "../volume/types";
import type { DicomInput } from "./series";

/** A DICOM set that cannot become a scan; the message is for the user. */
export class DicomError extends Error {
  override name = "DicomError";
}

/** What a dcm2niix run gives back: the files it wrote, what it printed and its exit status. */
export interface Dcm2niixOutput {
  files: { name: string; bytes: Uint8Array }[];
  log: string[];
  exitCode: number;
}

/** Runs dcm2niix (WebAssembly) over files: in a worker in the browser, in-process in Node. */
export type Dcm2niixRun = (inputs: DicomInput[]) => Promise<Dcm2niixOutput>;

/**
 * dcm2niix's options: uncompressed NIfTI (readVolume reads either; no gzip round trip), no BIDS
 * sidecar, no cropping, series number and description in the name. dcm2niix works out the slice
 * order and the affine (IPP, IOP, PixelSpacing; LPS to RAS); the project's reader then reads that
 * affine like any other NIfTI's, so geometry has one reader.
 */
export const DCM2NIIX_ARGS = ["-z", "n", "-b", "n", "-x", "n", "-f", "%s_%d"];

/** dcm2niix exit codes (console/nii_dicom_batch.h), as sentences. */
const EXIT: Record<number, string> = {
  1: "dcm2niix failed",
  2: "no DICOM images were found",
  3: "only the version was reported",
  4: "corrupt DICOM data",
  5: "invalid input folder",
  6: "invalid output folder",
  7: "the output could not be written",
  8: "some images were converted, others not",
  9: "the files could not be renamed",
  10: "the series is incomplete (volumes with missing slices)",
  11: "nothing was expected to be converted",
  12: "an invalid option",
};

/** dcm2niix's own words about what went wrong: its error and warning lines, a few. */
function reasons(log: string[]): string {
  const lines = log
    .map((l) => l.trim().replace(/\.$/, ""))
    .filter((l) => (/^(error|warning|unable)/i.test(l) || /not supported|unsupported/i.test(l)) && !/Patient Position|slice timing|MoCo|issue 642/i.test(l));
  const unique = [...new Set(lines)].slice(0, 3);
  return unique.length ? ` dcm2niix said: ${unique.join("; ")}.` : "";
}

export interface ConvertedScan {
  /** The NIfTI dcm2niix wrote (the bytes the app reads, hashes and keeps as the scan). */
  nifti: { name: string; bytes: Uint8Array };
  volume: Volume;
  /** Other volumes the series gave (echoes, phase images), left aside. */
  others: number;
}

/**
 * The scan from a dcm2niix run: its NIfTI read by the project's reader. When the series gave
 * several volumes (echoes, magnitude and phase), the one with the most voxels is taken (the first
 * by name among equals). A run that wrote no volume is a DicomError saying why.
 */
export function scanFromConversion(out: Dcm2niixOutput, label: string): ConvertedScan {
  const niftis = out.files.filter((f) => /\.nii(\.gz)?$/i.test(f.name)).sort((a, b) => a.name.localeCompare(b.name));
  if (niftis.length === 0) {
    const why = EXIT[out.exitCode] ?? (out.exitCode === 0 ? "it wrote no volume" : `exit code ${out.exitCode}`);
    const said = reasons(out.log);
    const hint = said ? "" : " (dcm2niix converts uncompressed, JPEG, JPEG-LS, JPEG 2000 and RLE images with position and orientation tags.)";
    throw new DicomError(`${label}: the DICOM images could not be converted to a volume (${why}).${said}${hint}`);
  }
  let best: ConvertedScan | null = null;
  for (const nifti of niftis) {
    let volume: Volume;
    try {
      volume = readVolume(nifti.bytes, nifti.name);
    } catch (e) {
      throw new DicomError(`${label}: dcm2niix wrote a volume that cannot be read (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!best || product(volume.dims) > product(best.volume.dims)) best = { nifti, volume, others: 0 };
  }
  return { ...best!, others: niftis.length - 1 };
}

/** Converts one series' files with `run` and reads the result; every failure is a DicomError. */
export async function convertSeries(run: Dcm2niixRun, inputs: DicomInput[], label: string): Promise<ConvertedScan> {
  let out: Dcm2niixOutput;
  try {
    out = await run(inputs);
  } catch (e) {
    if (e instanceof DicomError) throw e;
    throw new DicomError(`${label}: the DICOM converter failed (${e instanceof Error ? e.message : String(e)})`);
  }
  return scanFromConversion(out, label);
}
