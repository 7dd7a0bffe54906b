import { VolumeError, type Volume } from "../volume/types";
import { gunzipHead, gunzipIfNeeded, isGzip } from "./bytes";
import { mghSize, readMgh } from "./mgh";
import { niftiSize, readNifti } from "./nifti";
import { ACCEPTED_FORMATS, formatOfName, volumeFormatOfName, type VolumeFormatId } from "./formats";

export { readNifti, writeNifti, type WriteNiftiOptions } from "./nifti";
export { readMgh, writeMgh, type WriteMghOptions } from "./mgh";
export * from "./formats";

/** A scan file as read: its volume, and the file's sha256 (provenance) as it is worked out after. */
export interface ReadVolumeResult {
  volume: Volume;
  sha256: Promise<string>;
}

/** Reads a scan file somewhere (the app: a worker), reporting how far it is. */
export type ReadVolumeRun = (bytes: Uint8Array, fileName: string, frame: number, onProgress?: (fraction: number) => void) => Promise<ReadVolumeResult>;

/** Each volume format's reader (a format in the table without one does not compile). */
const READ: Record<VolumeFormatId, (bytes: Uint8Array, frame: number) => Volume> = { nifti: readNifti, mgh: readMgh };
/** The bytes a file of each format holds by its header (refusing one over the voxel budget). */
const SIZE: Record<VolumeFormatId, (head: Uint8Array) => number | null> = { nifti: niftiSize, mgh: mghSize };

/**
 * Reads a scan or label map (NIfTI-1/2 or MGH, gzipped or not), recognising the format by
 * content and otherwise by file extension. Every failure is a VolumeError whose message names the file.
 */
/**
 * A scan file's volume; of a 4D file, volume `frame` (0-based, default the first). `onProgress`
 * reports how much of a compressed file is inflated (0 to 1).
 */
export function readVolume(bytes: Uint8Array, fileName: string, frame = 0, onProgress?: (fraction: number) => void): Volume {
  try {
    let inner = bytes;
    if (isGzip(bytes)) {
      // Content wins over a wrong extension (an MGZ saved as .nii.gz still opens). A scan's header
      // sizes the inflation: over the voxel budget it is refused before the rest is inflated, and
      // a stream inflating past it is stopped (gunzipIfNeeded).
      const head = gunzipHead(bytes, 1024);
      const format = sniffFormat(head);
      // content no reader knows: its first kilobyte is enough for the readers to say what it is not
      inner = !format && head.length === 1024 ? head : gunzipIfNeeded(bytes, onProgress, format ? SIZE[format] : undefined);
    }
    const sniffed = sniffFormat(inner);
    if (sniffed) return read(sniffed, inner, frame);
    const byName = volumeFormatOfName(fileName);
    if (!byName) throw new VolumeError(unsupportedMessage(fileName, isGzip(bytes)));
    return readExpecting(byName, inner, frame);
  } catch (err) {
    if (err instanceof VolumeError) throw new VolumeError(`${fileName}: ${err.message}`);
    throw err;
  }
}

/** The extension's reader explains what is wrong; "not a ..." errors also list what we accept. */
function readExpecting(format: VolumeFormatId, bytes: Uint8Array, frame: number): Volume {
  try {
    return read(format, bytes, frame);
  } catch (err) {
    if (err instanceof VolumeError && err.message.startsWith("this is not")) {
      throw new VolumeError(`${err.message}. Accepted formats: ${ACCEPTED_FORMATS}`);
    }
    throw err;
  }
}

const read = (format: VolumeFormatId, bytes: Uint8Array, frame = 0): Volume => READ[format](bytes, frame);

/** Recognises NIfTI-1 ('n+1'/'ni1' at 344), NIfTI-2 (sizeof_hdr 540) and MGH (version 1). */
export function sniffFormat(bytes: Uint8Array): VolumeFormatId | null {
  if (bytes.length < 4) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 348) {
    const magic = String.fromCharCode(bytes[344], bytes[345], bytes[346], bytes[347]);
    if (magic === "n+1\0" || magic === "ni1\0") return "nifti";
  }
  if (v.getInt32(0, true) === 540 || v.getInt32(0, false) === 540) return "nifti";
  if (bytes.length >= 284 && v.getInt32(0, false) === 1) return "mgh";
  return null;
}

function unsupportedMessage(fileName: string, gzipped: boolean): string {
  const lower = fileName.toLowerCase();
  const hint = /\.(hdr|img)(\.gz)?$/.test(lower)
    ? " (ANALYZE/NIfTI .hdr/.img pairs: save the scan as a single .nii or .nii.gz)"
    : formatOfName(lower)?.kind === "dicom"
      ? " (DICOM files are read when they carry the standard \"DICM\" marker at byte 128, and this one does not: convert its series to NIfTI with dcm2niix)"
      : "";
  const what = gzipped ? "a compressed file of unknown content" : "not a recognised volume format";
  return `${what}${hint}. Accepted formats: ${ACCEPTED_FORMATS}`;
}
