/**
 * A small DICOM Part 10 writer for tests: one MR image per slice of a known volume, placed in the
 * patient frame by the volume's affine. The tests convert these files and check the result against
 * the volume they came from, so geometry and values are known exactly.
 */
import { deflateSync } from "fflate";
import { applyAffine, invert4 } from "../core/volume/affine";
import type { Mat4 } from "../core/volume/types";

export interface SeriesSpec {
  /** Voxels, x fastest, as in a Volume; stored as signed 16-bit. */
  dims: [number, number, number];
  data: ArrayLike<number>;
  /** Voxel to RAS mm. Its first axis becomes the image rows' direction, the second the columns', the third the slice step. */
  affine: Mat4;
  seriesDescription: string;
  seriesNumber: number;
  seriesUid: string;
  studyUid?: string;
  /** Transfer syntax (default explicit VR little endian). */
  syntax?: Syntax;
  /** File names per slice (default IM0001.dcm, ...); extensionless names are fine. */
  fileName?: (slice: number) => string;
  /** Rescale slope and intercept written for every slice (stored = (value - intercept) / slope). */
  rescale?: { slope: number; intercept: number };
}

export interface DicomFile {
  name: string;
  bytes: Uint8Array;
  /** The geometry tags as written, numbers as parsed back from their DS strings. */
  tags: SliceTags;
}

export interface SliceTags {
  /** ImagePositionPatient (LPS mm). */
  position: number[];
  /** ImageOrientationPatient: row direction then column direction (LPS). */
  orientation: number[];
  /** PixelSpacing: between rows, then between columns (mm). */
  spacing: number[];
}

export type Syntax = "explicit-le" | "implicit-le" | "explicit-be" | "deflated";

const MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4";
const SYNTAX_UID: Record<Syntax, string> = {
  "explicit-le": "1.2.840.10008.1.2.1",
  "implicit-le": "1.2.840.10008.1.2",
  "explicit-be": "1.2.840.10008.1.2.2",
  deflated: "1.2.840.10008.1.2.1.99",
};
/** VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length. */
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"]);

type Value = string | Uint8Array;
interface Element {
  group: number;
  element: number;
  vr: string;
  value: Value;
}

const ds = (n: number) => {
  // DS is at most 16 characters
  const s = String(+n.toPrecision(10));
  return s.length <= 16 ? s : n.toExponential(8);
};
const multi = (ns: number[]) => ns.map(ds).join("\\");
const us = (n: number) => new Uint8Array(new Uint16Array([n]).buffer);

function encodeValue(vr: string, value: Value): Uint8Array {
  if (value instanceof Uint8Array) return value.length % 2 ? Uint8Array.from([...value, 0]) : value;
  const text = new TextEncoder().encode(value);
  if (text.length % 2 === 0) return text;
  const padded = new Uint8Array(text.length + 1);
  padded.set(text);
  padded[text.length] = vr === "UI" ? 0 : 0x20;
  return padded;
}

/** Binary values (US, UL, OW) are given little endian; big endian swaps them by their word size. */
const WORD: Record<string, number> = { US: 2, OW: 2, UL: 4 };

function encode(elements: Element[], explicit: boolean, le = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const el of [...elements].sort((a, b) => a.group - b.group || a.element - b.element)) {
    let value = encodeValue(el.vr, el.value);
    const word = WORD[el.vr];
    if (!le && word) {
      value = value.slice();
      for (let i = 0; i < value.length; i += word) value.subarray(i, i + word).reverse();
    }
    const long = LONG_VRS.has(el.vr);
    const head = new Uint8Array(explicit ? (long ? 12 : 8) : 8);
    const v = new DataView(head.buffer);
    v.setUint16(0, el.group, le);
    v.setUint16(2, el.element, le);
    if (!explicit) v.setUint32(4, value.length, le);
    else {
      head[4] = el.vr.charCodeAt(0);
      head[5] = el.vr.charCodeAt(1);
      if (long) v.setUint32(8, value.length, le);
      else v.setUint16(6, value.length, le);
    }
    parts.push(head, value);
  }
  return concat(...parts);
}

/** The byte arrays one after another. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** RAS to DICOM's LPS. */
const lps = ([x, y, z]: number[]) => [-x, -y, z];

/** One Part 10 file per slice of `spec`. */
export function writeDicomSeries(spec: SeriesSpec): DicomFile[] {
  const [nx, ny, nz] = spec.dims;
  const a = spec.affine;
  const column = (c: number) => [a[c], a[4 + c], a[8 + c]];
  const [ax, ay] = [column(0), column(1)];
  const sx = Math.hypot(...ax);
  const sy = Math.hypot(...ay);
  const iop = [...lps(ax.map((v) => v / sx)), ...lps(ay.map((v) => v / sy))];
  const sz = Math.hypot(...column(2));
  const studyUid = spec.studyUid ?? "1.2.826.0.1.3680043.8.498.1";
  const slope = spec.rescale?.slope ?? 1;
  const intercept = spec.rescale?.intercept ?? 0;
  const syntax = spec.syntax ?? "explicit-le";
  const files: DicomFile[] = [];
  for (let k = 0; k < nz; k++) {
    const sop = `${spec.seriesUid}.${k + 1}`;
    const ipp = multi(lps(applyAffine(a, 0, 0, k)));
    const pixels = new Int16Array(nx * ny);
    for (let n = 0; n < nx * ny; n++) pixels[n] = Math.round((spec.data[k * nx * ny + n] - intercept) / slope);
    const elements: Element[] = [
      { group: 0x0008, element: 0x0008, vr: "CS", value: "ORIGINAL\\PRIMARY\\M\\ND" },
      { group: 0x0008, element: 0x0016, vr: "UI", value: MR_IMAGE_STORAGE },
      { group: 0x0008, element: 0x0018, vr: "UI", value: sop },
      { group: 0x0008, element: 0x0020, vr: "DA", value: "20240102" },
      { group: 0x0008, element: 0x0030, vr: "TM", value: "101500" },
      { group: 0x0008, element: 0x0060, vr: "CS", value: "MR" },
      { group: 0x0008, element: 0x0070, vr: "LO", value: "siteseg test" },
      { group: 0x0008, element: 0x103e, vr: "LO", value: spec.seriesDescription },
      { group: 0x0010, element: 0x0010, vr: "PN", value: "Phantom^Test" },
      { group: 0x0010, element: 0x0020, vr: "LO", value: "PHANTOM" },
      { group: 0x0018, element: 0x0050, vr: "DS", value: ds(sz) },
      { group: 0x0018, element: 0x0088, vr: "DS", value: ds(sz) },
      { group: 0x0020, element: 0x000d, vr: "UI", value: studyUid },
      { group: 0x0020, element: 0x000e, vr: "UI", value: spec.seriesUid },
      { group: 0x0020, element: 0x0011, vr: "IS", value: String(spec.seriesNumber) },
      { group: 0x0020, element: 0x0012, vr: "IS", value: "1" },
      { group: 0x0020, element: 0x0013, vr: "IS", value: String(k + 1) },
      { group: 0x0020, element: 0x0032, vr: "DS", value: ipp },
      { group: 0x0020, element: 0x0037, vr: "DS", value: multi(iop) },
      { group: 0x0020, element: 0x0052, vr: "UI", value: `${studyUid}.9` },
      { group: 0x0028, element: 0x0002, vr: "US", value: us(1) },
      { group: 0x0028, element: 0x0004, vr: "CS", value: "MONOCHROME2" },
      { group: 0x0028, element: 0x0010, vr: "US", value: us(ny) }, // rows
      { group: 0x0028, element: 0x0011, vr: "US", value: us(nx) }, // columns
      // row spacing (between rows, along the column direction) first, then column spacing
      { group: 0x0028, element: 0x0030, vr: "DS", value: multi([sy, sx]) },
      { group: 0x0028, element: 0x0100, vr: "US", value: us(16) },
      { group: 0x0028, element: 0x0101, vr: "US", value: us(16) },
      { group: 0x0028, element: 0x0102, vr: "US", value: us(15) },
      { group: 0x0028, element: 0x0103, vr: "US", value: us(1) },
      { group: 0x7fe0, element: 0x0010, vr: "OW", value: new Uint8Array(pixels.buffer) },
    ];
    if (spec.rescale) {
      elements.push(
        { group: 0x0028, element: 0x1052, vr: "DS", value: ds(intercept) },
        { group: 0x0028, element: 0x1053, vr: "DS", value: ds(slope) },
      );
    }
    const meta = encode(
      [
        { group: 0x0002, element: 0x0001, vr: "OB", value: Uint8Array.from([0, 1]) },
        { group: 0x0002, element: 0x0002, vr: "UI", value: MR_IMAGE_STORAGE },
        { group: 0x0002, element: 0x0003, vr: "UI", value: sop },
        { group: 0x0002, element: 0x0010, vr: "UI", value: SYNTAX_UID[syntax] },
        { group: 0x0002, element: 0x0012, vr: "UI", value: "1.2.826.0.1.3680043.8.498.0" },
      ],
      true,
    );
    const groupLength = encode([{ group: 0x0002, element: 0x0000, vr: "UL", value: new Uint8Array(new Uint32Array([meta.length]).buffer) }], true);
    const plain = encode(elements, syntax !== "implicit-le", syntax !== "explicit-be");
    const body = syntax === "deflated" ? deflateSync(plain) : plain;
    const bytes = new Uint8Array(132 + groupLength.length + meta.length + body.length);
    bytes.set([0x44, 0x49, 0x43, 0x4d], 128); // "DICM"
    bytes.set(groupLength, 132);
    bytes.set(meta, 132 + groupLength.length);
    bytes.set(body, 132 + groupLength.length + meta.length);
    const numbers = (text: string) => text.split("\\").map(Number);
    const tags = { position: numbers(ipp), orientation: numbers(multi(iop)), spacing: numbers(multi([sy, sx])) };
    files.push({ name: spec.fileName?.(k) ?? `IM${String(k + 1).padStart(4, "0")}.dcm`, bytes, tags });
  }
  return files;
}

/** Where pixel (column c, row r) of a slice lies in RAS mm by the DICOM rule: IPP + c·Δcolumn·row direction + r·Δrow·column direction, LPS to RAS. */
export function dicomPixelWorld(tags: SliceTags, c: number, r: number): [number, number, number] {
  const p = [0, 1, 2].map((n) => tags.position[n] + c * tags.spacing[1] * tags.orientation[n] + r * tags.spacing[0] * tags.orientation[3 + n]);
  return [-p[0], -p[1], p[2]];
}

/**
 * For every pixel of a written series (slice by slice, row by row, in the order of `spec.data`),
 * the index of the voxel of `grid` that lies at the pixel's world position by the DICOM tags.
 * Throws when a pixel falls between voxel centres (more than `tol` voxels off) or outside the
 * grid, or when two pixels land on one voxel: so the grid holds the series voxel for voxel.
 */
export function voxelsOfPixels(grid: { dims: readonly number[]; affine: Mat4 }, files: DicomFile[], columns: number, rows: number, tol = 1e-3): Int32Array {
  const inverse = invert4(grid.affine);
  const [nx, ny, nz] = grid.dims;
  const out = new Int32Array(files.length * rows * columns);
  const seen = new Uint8Array(nx * ny * nz);
  let n = 0;
  let worst = 0;
  for (const f of files) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++, n++) {
        const v = applyAffine(inverse, ...dicomPixelWorld(f.tags, c, r));
        const ijk = v.map(Math.round);
        worst = Math.max(worst, ...v.map((x, a) => Math.abs(x - ijk[a])));
        if (v.some((x, a) => Math.abs(x - ijk[a]) > tol)) throw new Error(`${f.name} pixel (${c}, ${r}) lies between voxels: ${v.map((x) => x.toFixed(4)).join(", ")}`);
        if (ijk.some((x, a) => x < 0 || x >= grid.dims[a])) throw new Error(`${f.name} pixel (${c}, ${r}) lies outside the grid: voxel ${ijk.join(", ")}`);
        const index = ijk[0] + nx * (ijk[1] + ny * ijk[2]);
        if (seen[index]++) throw new Error(`${f.name} pixel (${c}, ${r}) lands on voxel ${ijk.join(", ")} twice`);
        out[n] = index;
      }
    }
  }
  if (n !== nx * ny * nz) throw new Error(`${n} pixels for ${nx * ny * nz} voxels`);
  return out;
}
