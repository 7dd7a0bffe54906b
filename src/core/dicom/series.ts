import { isDicom, MEDIA_DIRECTORY, readDicomHeader, type DicomHeader } from "./header";

/** A file as the user gave it: its path within the drop (or its bare name) and its bytes. */
export interface DicomInput {
  name: string;
  bytes: Uint8Array;
}

export type Plane = "axial" | "coronal" | "sagittal";

export interface SeriesOrientation {
  /** The plane the images lie in (by their normal's nearest axis). */
  plane: Plane;
  /** Where the rows, the columns and the slice normal point (RAS letters, as the app's orientation codes). */
  letters: string;
  /** Degrees between the slice normal and its nearest axis (0 for a true axial, coronal or sagittal). */
  tilt: number;
}

/** One series of a drop: what the picker shows and which files to convert. */
export interface DicomSeries {
  key: string;
  uid: string;
  number: number | null;
  /** SeriesDescription, else ProtocolName, else "Series N". */
  description: string;
  modality: string;
  /** Images (frames of multi-frame files counted each). */
  images: number;
  /** Indices into the input list. */
  files: number[];
  rows: number;
  columns: number;
  orientation: SeriesOrientation | null;
  /** Between rows, then between columns (mm). */
  pixelSpacing: [number, number] | null;
}

export interface DicomGrouping {
  series: DicomSeries[];
  /** Files that are not DICOM images, with why. */
  skipped: { name: string; reason: string }[];
}

/** True when any of the files is DICOM (by the "DICM" magic at byte 128, not by extension). */
export const anyDicom = (files: readonly { bytes: Uint8Array }[]) => files.some((f) => isDicom(f.bytes));

const AXES: [string, string][] = [
  ["R", "L"],
  ["A", "P"],
  ["S", "I"],
];

/** The RAS letter a direction points to most (LPS input, as DICOM stores directions). */
function letterOf(lps: number[]): string {
  const ras = [-lps[0], -lps[1], lps[2]];
  let best = 0;
  for (let a = 1; a < 3; a++) if (Math.abs(ras[a]) > Math.abs(ras[best])) best = a;
  return AXES[best][ras[best] >= 0 ? 0 : 1];
}

/**
 * The plane and letters of an ImageOrientationPatient (row and column direction cosines, LPS):
 * axial [1,0,0,0,1,0] is "LPS" (rows toward the patient's left, columns toward posterior, the
 * normal toward superior).
 */
export function seriesOrientation(iop: readonly number[]): SeriesOrientation | null {
  if (iop.length !== 6 || !iop.every(Number.isFinite)) return null;
  const row = iop.slice(0, 3);
  const col = iop.slice(3, 6);
  const normal = [row[1] * col[2] - row[2] * col[1], row[2] * col[0] - row[0] * col[2], row[0] * col[1] - row[1] * col[0]];
  const length = Math.hypot(...normal);
  if (!(length > 1e-3)) return null;
  const n = normal.map((v) => v / length);
  let axis = 0;
  for (let a = 1; a < 3; a++) if (Math.abs(n[a]) > Math.abs(n[axis])) axis = a;
  const plane: Plane = axis === 2 ? "axial" : axis === 1 ? "coronal" : "sagittal";
  const tilt = (Math.acos(Math.min(1, Math.abs(n[axis]))) * 180) / Math.PI;
  return { plane, letters: letterOf(row) + letterOf(col) + letterOf(n), tilt: Math.round(tilt * 10) / 10 };
}

/** "Axial · LPS", "Oblique coronal (12.5°) · LAI": what the picker shows. */
export function orientationLabel(o: SeriesOrientation | null): string {
  if (!o) return "orientation unknown";
  const plane = o.plane[0].toUpperCase() + o.plane.slice(1);
  return o.tilt >= 1 ? `Oblique ${o.plane} (${o.tilt}°) · ${o.letters}` : `${plane} · ${o.letters}`;
}

/** A name for the scan made from a series: its description, safe as the stem of a downloaded file. */
export function seriesScanName(s: DicomSeries): string {
  const printable = Array.from(s.description, (ch) => (ch < " " ? " " : ch)).join("");
  const name = printable.replace(/[\\/:*?"<>|]+/g, "-").replace(/\s+/g, " ").trim();
  return name || `DICOM series ${s.number ?? ""}`.trim();
}

function whyNot(h: DicomHeader | null): string | null {
  if (!h) return "not DICOM";
  if (h.sopClassUid === MEDIA_DIRECTORY) return "DICOMDIR (an index of files, not an image)";
  if (!h.hasPixelData || h.rows === 0 || h.columns === 0) return "DICOM without an image (a report, presentation state or similar)";
  return null;
}

const round3 = (ns: readonly number[] | null) => (ns ? ns.map((v) => v.toFixed(3)).join(",") : "-");

/**
 * Sorts DICOM files into series: one per SeriesInstanceUID, split further where images of one UID
 * differ in orientation or matrix (a three-plane localizer becomes three series, as dcm2niix would
 * write three volumes). Files that are not DICOM images are listed as skipped. Series come in
 * series-number order.
 */
export function groupDicomSeries(files: readonly DicomInput[]): DicomGrouping {
  const groups = new Map<string, { header: DicomHeader; files: number[]; images: number }>();
  const skipped: DicomGrouping["skipped"] = [];
  files.forEach((f, index) => {
    const h = readDicomHeader(f.bytes);
    const why = whyNot(h);
    if (why || !h) {
      skipped.push({ name: f.name, reason: why ?? "not DICOM" });
      return;
    }
    // files without a series UID still group by what identifies them
    const uid = h.seriesUid || `no-uid:${h.studyUid}:${h.seriesNumber ?? ""}:${h.seriesDescription}`;
    const key = `${uid}|${round3(h.orientation)}|${h.rows}x${h.columns}`;
    const g = groups.get(key);
    if (g) {
      g.files.push(index);
      g.images += h.frames;
    } else groups.set(key, { header: h, files: [index], images: h.frames });
  });
  const series = [...groups.entries()].map(([key, g]): DicomSeries => {
    const h = g.header;
    const description = h.seriesDescription || h.protocolName || (h.seriesNumber !== null ? `Series ${h.seriesNumber}` : "Unnamed series");
    return {
      key,
      uid: h.seriesUid,
      number: h.seriesNumber,
      description,
      modality: h.modality,
      images: g.images,
      files: g.files,
      rows: h.rows,
      columns: h.columns,
      orientation: h.orientation ? seriesOrientation(h.orientation) : null,
      pixelSpacing: h.pixelSpacing ? [h.pixelSpacing[0], h.pixelSpacing[1]] : null,
    };
  });
  series.sort((a, b) => (a.number ?? Infinity) - (b.number ?? Infinity) || a.description.localeCompare(b.description) || a.key.localeCompare(b.key));
  return { series, skipped };
}
