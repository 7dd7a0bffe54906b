import { gzipSync } from "fflate";
import { NIFTI1, NIFTI2 } from "nifti-reader-js";
import { det3, voxelSizes } from "../volume/affine";
import { VolumeError, type Mat4, type Volume, type VoxelArray } from "../volume/types";
import {
  assertWritable,
  bytesPerVoxel,
  checkFrame,
  checkVoxelBudget,
  gunzipIfNeeded,
  headBuffer,
  kindOf,
  product,
  readVoxels,
  voxelBytes,
  type VoxelKind,
} from "./bytes";

const NIFTI1_HEADER_SIZE = 348;
const NIFTI2_HEADER_SIZE = 540;
/** Header plus the 4-byte extension flag: where a single-file .nii puts its voxels. */
const NIFTI1_VOX_OFFSET = 352;

const KIND_BY_CODE: Record<number, VoxelKind> = {
  2: "uint8",
  4: "int16",
  8: "int32",
  16: "float32",
  64: "float64",
  256: "int8",
  512: "uint16",
  768: "uint32",
};

const CODE_BY_KIND: Record<VoxelKind, number> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};

/** Names of datatypes we refuse, so the error tells the user what their file actually holds. */
const UNSUPPORTED_NAMES: Record<number, string> = {
  0: "unknown",
  1: "binary (1 bit)",
  32: "complex64",
  128: "RGB",
  1024: "int64",
  1280: "uint64",
  1536: "float128",
  1792: "complex128",
  2048: "complex256",
  2304: "RGBA",
};

/** The header fields we use, independent of NIfTI version and byte order. */
interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  dims: number[];
  datatype: number;
  pixdim: number[];
  voxOffset: number;
  slope: number;
  inter: number;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z: the first three rows of the sform. */
  srow: number[];
}

// ---------------------------------------------------------------- reading

/** Reads a single-file NIfTI-1 or NIfTI-2 volume (.nii or .nii.gz); of a 4D file, frame `frame` (0-based). */
export function readNifti(input: Uint8Array, frame = 0): Volume {
  const bytes = gunzipIfNeeded(input, undefined, niftiSize);
  const h = parseHeader(bytes);
  const { dims, kind, frames } = layout(h);
  const count = product(dims);
  checkFrame(frame, frames);
  const offset = h.voxOffset + frame * count * bytesPerVoxel(kind);
  checkLength(bytes, offset, dims, kind);
  const raw = readVoxels(bytes, offset, count, kind, h.littleEndian);
  const { affine, note } = chooseAffine(h, dims);
  const scaled = applyScaling(raw, h.slope, h.inter);
  return {
    dims,
    affine,
    data: scaled.data,
    ...(frames > 1 ? { frames, frame } : {}),
    ...(note ? { geometryNote: note } : {}),
    ...(scaled.note ? { voxelNote: scaled.note } : {}),
  };
}

/** Spatial dims, voxel kind and frames of a header, refused when they are over the voxel budget. */
function layout(h: NiftiHeader): { dims: [number, number, number]; kind: VoxelKind; frames: number } {
  const dims = spatialDims(h);
  const kind = voxelKind(h.datatype);
  const frames = h.dims.slice(4, h.dims[0] + 1).reduce((a, n) => a * Math.max(1, n), 1);
  checkVoxelBudget(dims, frames);
  return { dims, kind, frames };
}

/**
 * The bytes a NIfTI file holds by its header (extensions, then every frame's voxels), from its
 * first bytes; null when they are too few for a header. Throws when the header is over the voxel
 * budget or unreadable, so a compressed file is refused before it is inflated.
 */
export function niftiSize(head: Uint8Array): number | null {
  if (head.length < NIFTI1_HEADER_SIZE) return null;
  const h = parseHeader(head);
  const { dims, kind, frames } = layout(h);
  return h.voxOffset + frames * product(dims) * bytesPerVoxel(kind);
}

function parseHeader(bytes: Uint8Array): NiftiHeader {
  if (bytes.length < NIFTI1_HEADER_SIZE) {
    throw new VolumeError(
      `the file is truncated or corrupt: ${bytes.length} bytes is smaller than a NIfTI header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeLE = view.getInt32(0, true);
  const sizeBE = view.getInt32(0, false);
  if (sizeLE === NIFTI2_HEADER_SIZE || sizeBE === NIFTI2_HEADER_SIZE) return parseNifti2(bytes);
  if (sizeLE === NIFTI1_HEADER_SIZE || sizeBE === NIFTI1_HEADER_SIZE) return parseNifti1(bytes);
  throw new VolumeError("this is not a NIfTI file (no NIfTI-1 or NIfTI-2 header found)");
}

function parseNifti1(bytes: Uint8Array): NiftiHeader {
  const magic = String.fromCharCode(bytes[344], bytes[345], bytes[346]);
  if (magic === "ni1") {
    throw new VolumeError(
      "this is the header of a .hdr/.img pair; save the scan as a single .nii or .nii.gz file",
    );
  }
  if (magic !== "n+1") {
    throw new VolumeError("this is not a NIfTI-1 file (missing 'n+1' magic; old ANALYZE files are not supported)");
  }
  const hdr = new NIFTI1();
  parseWith(() => hdr.readHeader(headBuffer(bytes, NIFTI1_HEADER_SIZE)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The library overwrites `affine` with the qform when qform_code > sform_code, so read srow directly.
  const srow = Array.from({ length: 12 }, (_, n) => view.getFloat32(280 + 4 * n, hdr.littleEndian));
  return fromLibrary(1, hdr, srow, NIFTI1_HEADER_SIZE);
}

function parseNifti2(bytes: Uint8Array): NiftiHeader {
  if (bytes.length < NIFTI2_HEADER_SIZE) {
    throw new VolumeError(
      `the file is truncated or corrupt: ${bytes.length} bytes is smaller than a NIfTI-2 header`,
    );
  }
  const magic = String.fromCharCode(bytes[4], bytes[5], bytes[6]);
  if (magic === "ni2") {
    throw new VolumeError(
      "this is the header of a .hdr/.img pair; save the scan as a single .nii or .nii.gz file",
    );
  }
  if (magic !== "n+2") throw new VolumeError("this is not a NIfTI-2 file (missing 'n+2' magic)");
  const hdr = new NIFTI2();
  parseWith(() => hdr.readHeader(headBuffer(bytes, NIFTI2_HEADER_SIZE)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const srow = Array.from({ length: 12 }, (_, n) => view.getFloat64(400 + 8 * n, hdr.littleEndian));
  return fromLibrary(2, hdr, srow, NIFTI2_HEADER_SIZE);
}

function parseWith(read: () => void): void {
  try {
    read();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new VolumeError(`the NIfTI header is corrupt (${why})`);
  }
}

function fromLibrary(
  version: 1 | 2,
  hdr: NIFTI1 | NIFTI2,
  srow: number[],
  headerSize: number,
): NiftiHeader {
  const offset = Math.round(Number(hdr.vox_offset));
  return {
    version,
    littleEndian: hdr.littleEndian,
    dims: hdr.dims.map(Number),
    datatype: hdr.datatypeCode,
    pixdim: hdr.pixDims.map(Number),
    // Some writers leave vox_offset at 0 for single files; the voxels then follow the extension flag.
    voxOffset: offset >= headerSize ? offset : headerSize + 4,
    slope: hdr.scl_slope,
    inter: hdr.scl_inter,
    qformCode: hdr.qform_code,
    sformCode: hdr.sform_code,
    quatern: [hdr.quatern_b, hdr.quatern_c, hdr.quatern_d],
    qoffset: [hdr.qoffset_x, hdr.qoffset_y, hdr.qoffset_z],
    srow,
  };
}

function spatialDims(h: NiftiHeader): [number, number, number] {
  const ndim = h.dims[0];
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) {
    throw new VolumeError(`the file is truncated or corrupt: the header declares ${ndim} dimensions`);
  }
  // Axes beyond ndim are absent (a 2D image is one slice thick).
  const d = [1, 2, 3].map((a) => (a <= ndim ? h.dims[a] : 1));
  if (d.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new VolumeError(
      `the file is truncated or corrupt: the header declares image size ${d.join("×")}`,
    );
  }
  return [d[0], d[1], d[2]];
}

function voxelKind(datatype: number): VoxelKind {
  const kind = KIND_BY_CODE[datatype];
  if (kind) return kind;
  const name = UNSUPPORTED_NAMES[datatype] ?? "unrecognised";
  const advice = /RGB|complex/.test(name)
    ? "convert the scan to a grey-scale NIfTI"
    : "convert the scan to a NIfTI with int16 or float32 voxels";
  throw new VolumeError(`NIfTI datatype ${datatype} (${name}) is not supported: ${advice}`);
}

function checkLength(bytes: Uint8Array, offset: number, dims: number[], kind: VoxelKind): void {
  const need = product(dims) * bytesPerVoxel(kind);
  const have = Math.max(0, bytes.length - offset);
  if (have < need) {
    throw new VolumeError(
      `the file is truncated or corrupt: the header declares ${dims.join("×")} ${kind} voxels ` +
        `(${need} bytes) but only ${have} bytes of image data follow the header`,
    );
  }
}

/**
 * The sform when its code is set and usable, else the qform, else voxel sizes along the axes
 * (NIfTI's "method 1" for headers without orientation). What had to be assumed is said in `note`:
 * a declared transform that is unusable (singular, not finite), voxel sizes that are missing or
 * negative, a qfac other than ±1. An unusable declared transform without voxel sizes either is
 * refused, as volumes and positions could not be known.
 */
function chooseAffine(h: NiftiHeader, dims: readonly number[]): { affine: Mat4; note?: string } {
  if (h.sformCode > 0) {
    const s = [...h.srow, 0, 0, 0, 1];
    if (usable(s)) return { affine: s };
  }
  if (h.qformCode > 0) {
    const q = qformAffine(h);
    if (usable(q)) return { affine: q, note: joinNotes([qfacNote(h.pixdim[0]), pixdimNote(h.pixdim, dims, "qform")]) };
  }
  const sizes = [1, 2, 3].map((a) => Math.abs(h.pixdim[a]));
  const [dx, dy, dz] = sizes.map(positiveOr1);
  const affine = [dx, 0, 0, 0, 0, dy, 0, 0, 0, 0, dz, 0, 0, 0, 0, 1];
  if (h.sformCode <= 0 && h.qformCode <= 0) return { affine, note: pixdimNote(h.pixdim, dims, "none") };
  if (!sizes.every((v) => Number.isFinite(v) && v > 0)) {
    throw new VolumeError("the header declares an orientation, but its matrix is unusable (singular or not a number) and it gives no voxel sizes, so volumes and positions cannot be known: fix the header (e.g. with fslorient or nibabel) or export the scan again");
  }
  return { affine, note: `The header's orientation matrix is unusable (singular or not a number); the scan is placed by its voxel sizes (${sizes.map((v) => v.toFixed(2)).join(" × ")} mm) with axes assumed R, A, S: volumes are right, left/right and position may not be.` };
}

function joinNotes(notes: (string | undefined)[]): string | undefined {
  const said = notes.filter((n): n is string => !!n);
  return said.length ? said.join(" ") : undefined;
}

const mm = (v: number) => (Number.isFinite(v) ? String(Math.round(v * 1000) / 1000) : String(v));

/**
 * What was assumed about voxel sizes (pixdim[1..3]) that are not positive numbers, on axes longer
 * than one voxel. Read as nifti1_io and nibabel agree: 0 or not a number is 1 mm. A negative size
 * is read by its magnitude (nibabel; nifti1_io's quatern_to_mat44 takes 1 mm instead, and without
 * any orientation it flips the axis), and said so, as tools disagree on such a file.
 */
function pixdimNote(pixdim: number[], dims: readonly number[], orientation: "qform" | "none"): string | undefined {
  const axes = [1, 2, 3].filter((a) => dims[a - 1] > 1);
  const missing = axes.filter((a) => !(Number.isFinite(pixdim[a]) && pixdim[a] !== 0));
  const negative = axes.filter((a) => pixdim[a] < 0 && Number.isFinite(pixdim[a]));
  const notes: string[] = [];
  const list = (as: number[]) => as.map((a) => `pixdim[${a}] ${mm(pixdim[a])}`).join(", ");
  if (missing.length) {
    notes.push(`The header gives no voxel size along ${missing.length === 1 ? "one axis" : `${missing.length} axes`} (${list(missing)})${orientation === "none" ? " and no orientation" : ""}: 1 mm was assumed there, so volumes and the model's resampling may be wrong. Fix the voxel sizes in the header (e.g. with nibabel) or export the scan again.`);
  }
  if (negative.length) {
    notes.push(`The header's voxel sizes are negative (${list(negative)}), which NIfTI does not allow: their magnitudes were used as the sizes, as nibabel does; ${orientation === "qform" ? "nifti1_io-based tools (FSL, AFNI) take 1 mm instead, so volumes there differ" : "nifti1_io-based tools (FSL, AFNI) flip those axes instead, so left and right there may differ"}. Fix the header to be sure.`);
  }
  return joinNotes(notes);
}

/**
 * qfac (pixdim[0]) should be 1 or -1 (0 is read as 1). nifti1_io reads any negative value as -1,
 * nibabel resets any value other than -1, 0, 1 to 1: for such a file the slice axis's direction
 * depends on the tool, so the user is told which was taken.
 */
function qfacNote(qfac: number): string | undefined {
  if (!(qfac < 0) || qfac === -1) return undefined;
  return `The header's qfac (pixdim[0]) is ${mm(qfac)}, which should be 1 or -1: it was read as -1 (the slice axis reversed), as nifti1_io-based tools (FSL, AFNI) read it; nibabel reads 1. If left and right look swapped, fix the header.`;
}

/** A broken transform (NaN, all zeros) must not reach resampling; fall back instead. */
function usable(m: Mat4): boolean {
  return m.every(Number.isFinite) && Math.abs(det3(m)) > 1e-12;
}

function positiveOr1(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 1;
}

/** nifti1_io's quatern_to_mat44: rotation from (b, c, d), zooms from pixdim, k flipped by qfac (pixdim[0] < 0). */
function qformAffine(h: NiftiHeader): Mat4 {
  let [b, c, d] = h.quatern;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // 180-degree rotation: a is 0 and (b, c, d) only needs renormalising.
    const s = 1 / Math.sqrt(b * b + c * c + d * d);
    [b, c, d, a] = [b * s, c * s, d * s, 0];
  } else {
    a = Math.sqrt(a);
  }
  const qfac = h.pixdim[0] < 0 ? -1 : 1;
  // a negative size by its magnitude (nibabel; nifti1_io takes 1 mm): pixdimNote says so
  const [dx, dy, dz0] = [1, 2, 3].map((a) => positiveOr1(Math.abs(h.pixdim[a])));
  const dz = dz0 * qfac;
  const [ox, oy, oz] = h.qoffset;
  return [
    (a * a + b * b - c * c - d * d) * dx, 2 * (b * c - a * d) * dy, 2 * (b * d + a * c) * dz, ox,
    2 * (b * c + a * d) * dx, (a * a + c * c - b * b - d * d) * dy, 2 * (c * d - a * b) * dz, oy,
    2 * (b * d - a * c) * dx, 2 * (c * d + a * b) * dy, (a * a + d * d - c * c - b * b) * dz, oz,
    0, 0, 0, 1,
  ];
}

/** The largest finite 32-bit float: voxels are scaled into float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * scl_slope 0 (or NaN) means "no scaling" by the NIfTI standard; (1, 0) is a no-op kept native.
 * A slope (or intercept) that takes stored voxels beyond float32 would make them infinite, and
 * the bad-voxel repair would then fill most of the scan in: such voxels are read as stored, and
 * `note` says why (the mask does not depend on a positive scale).
 */
function applyScaling(raw: VoxelArray, slope: number, inter: number): { data: VoxelArray; note?: string } {
  const b = Number.isFinite(inter) ? inter : 0;
  if (!Number.isFinite(slope) || slope === 0 || (slope === 1 && b === 0)) return { data: raw };
  const out = new Float32Array(raw.length);
  let over = 0, top = 0;
  for (let i = 0; i < raw.length; i++) {
    const x = raw[i];
    const v = x * slope + b;
    if (!(Math.abs(v) <= FLOAT32_MAX) && Number.isFinite(x)) {
      over++;
      if (Math.abs(x) > top) top = Math.abs(x);
    }
    out[i] = v;
  }
  if (!over) return { data: out };
  const share = (100 * over) / raw.length;
  return {
    data: raw,
    note: `The header's scale slope (scl_slope ${slope.toPrecision(3)}${b ? `, scl_inter ${b.toPrecision(3)}` : ""}) overflows: it takes ${over} stored voxel${over === 1 ? "" : "s"} (${share < 0.01 ? "<0.01" : share.toFixed(2)}% of the scan, stored values up to ${Number(top.toPrecision(5))}) beyond the largest 32-bit float (3.4e38), where they would be infinite. The voxels were read as stored, unscaled: intensities are relative, and the mask does not depend on their scale${slope < 0 ? " (the negative slope, which would have inverted the contrast, was not applied either)" : ""}. Fix scl_slope in the header or export the scan again.`,
  };
}

// ---------------------------------------------------------------- writing

export interface WriteNiftiOptions {
  /** gzip the output (.nii.gz); default true. */
  gzip?: boolean;
  /** Up to 79 ASCII characters stored in the header's descrip field. */
  description?: string;
}

/** Writes a single-file NIfTI-1 (.nii, or .nii.gz when gzipped) with matching sform and qform. */
export function writeNifti(vol: Volume, opts: WriteNiftiOptions = {}): Uint8Array {
  assertWritable(vol.dims, vol.affine, vol.data.length);
  if (vol.dims.some((d) => d > 32767)) {
    throw new VolumeError(`cannot write NIfTI-1: dimension above 32767 in ${vol.dims.join("×")}`);
  }
  const body = voxelBytes(vol.data, true);
  const out = new Uint8Array(NIFTI1_VOX_OFFSET + body.length);
  writeHeader(new DataView(out.buffer), vol, opts.description ?? "");
  out.set(body, NIFTI1_VOX_OFFSET);
  return (opts.gzip ?? true) ? gzipSync(out, { level: 6 }) : out;
}

function writeHeader(v: DataView, vol: Volume, description: string): void {
  const kind = kindOf(vol.data);
  const m = vol.affine;
  const q = affineToQuatern(m);
  const le = true;
  v.setInt32(0, NIFTI1_HEADER_SIZE, le);
  [3, ...vol.dims, 1, 1, 1, 1].forEach((d, n) => v.setInt16(40 + 2 * n, d, le));
  v.setInt16(70, CODE_BY_KIND[kind], le);
  v.setInt16(72, bytesPerVoxel(kind) * 8, le);
  [q.qfac, ...q.zooms, 1, 1, 1, 1].forEach((p, n) => v.setFloat32(76 + 4 * n, p, le));
  v.setFloat32(108, NIFTI1_VOX_OFFSET, le);
  v.setFloat32(112, 1, le); // scl_slope 1, scl_inter 0: voxels are stored unscaled
  v.setUint8(123, 2); // xyzt_units: millimetres
  writeAscii(v, 148, 80, description);
  v.setInt16(252, 2, le); // qform_code: aligned anatomical
  v.setInt16(254, 2, le); // sform_code: aligned anatomical
  [...q.bcd, m[3], m[7], m[11]].forEach((x, n) => v.setFloat32(256 + 4 * n, x, le));
  for (let n = 0; n < 12; n++) v.setFloat32(280 + 4 * n, m[n], le);
  writeAscii(v, 344, 4, "n+1");
}

/** NUL-terminated ASCII; other characters become '?' so the field stays one byte per char. */
function writeAscii(v: DataView, offset: number, size: number, text: string): void {
  const n = Math.min(text.length, size - 1);
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    v.setUint8(offset + i, code >= 32 && code < 127 ? code : 63);
  }
}

interface Quatern {
  bcd: [number, number, number];
  qfac: number;
  zooms: [number, number, number];
}

/** nifti1_io's mat44_to_quatern: orthonormalise the direction cosines, flip k if left-handed. */
function affineToQuatern(m: Mat4): Quatern {
  const zooms = voxelSizes(m).map(positiveOr1) as [number, number, number];
  // Direction cosines as columns; a zero column becomes its unit axis.
  const cols = [0, 1, 2].map((c) =>
    voxelSizes(m)[c] > 0 ? [m[c] / zooms[c], m[4 + c] / zooms[c], m[8 + c] / zooms[c]] : unitAxis(c),
  );
  let r = polar(toRowMajor3(cols));
  let qfac = 1;
  if (det33(r) < 0) {
    qfac = -1;
    r = r.map((x, n) => (n % 3 === 2 ? -x : x));
  }
  return { bcd: rotationToQuatern(r), qfac, zooms };
}

function unitAxis(c: number): number[] {
  return [0, 1, 2].map((r) => (r === c ? 1 : 0));
}

function toRowMajor3(cols: number[][]): number[] {
  return [0, 1, 2].flatMap((r) => [cols[0][r], cols[1][r], cols[2][r]]);
}

function det33(r: number[]): number {
  return (
    r[0] * (r[4] * r[8] - r[5] * r[7]) -
    r[1] * (r[3] * r[8] - r[5] * r[6]) +
    r[2] * (r[3] * r[7] - r[4] * r[6])
  );
}

/** Nearest orthogonal matrix (Newton iteration X <- (X + X^-T) / 2), so sheared affines still get a valid qform. */
function polar(x: number[]): number[] {
  let cur = x;
  for (let it = 0; it < 50; it++) {
    const d = det33(cur);
    if (Math.abs(d) < 1e-12) return cur;
    // X^-T = cofactor matrix / det.
    const cof = [
      cur[4] * cur[8] - cur[5] * cur[7], cur[5] * cur[6] - cur[3] * cur[8], cur[3] * cur[7] - cur[4] * cur[6],
      cur[2] * cur[7] - cur[1] * cur[8], cur[0] * cur[8] - cur[2] * cur[6], cur[1] * cur[6] - cur[0] * cur[7],
      cur[1] * cur[5] - cur[2] * cur[4], cur[2] * cur[3] - cur[0] * cur[5], cur[0] * cur[4] - cur[1] * cur[3],
    ];
    const next = cur.map((v, n) => 0.5 * (v + cof[n] / d));
    const change = next.reduce((s, v, n) => s + Math.abs(v - cur[n]), 0);
    cur = next;
    if (change < 1e-12) break;
  }
  return cur;
}

/** Quaternion (b, c, d) with a >= 0 for a proper rotation matrix (row-major 3x3). */
function rotationToQuatern(r: number[]): [number, number, number] {
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r;
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) [b, c, d] = [-b, -c, -d];
  }
  return [b, c, d];
}
