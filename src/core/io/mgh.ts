import { gzipSync } from "fflate";
import { voxelSizes } from "../volume/affine";
import { VolumeError, type Mat4, type Volume, type VoxelArray } from "../volume/types";
import {
  assertWritable,
  bytesPerVoxel,
  checkFrame,
  checkVoxelBudget,
  gunzipIfNeeded,
  kindOf,
  product,
  readVoxels,
  voxelBytes,
  type VoxelKind,
} from "./bytes";

/** Fixed MGH header length: voxels always start here. */
const MGH_DATA_OFFSET = 284;

const KIND_BY_TYPE: Record<number, VoxelKind> = { 0: "uint8", 1: "int32", 3: "float32", 4: "int16" };
const TYPE_BY_KIND: Partial<Record<VoxelKind, number>> = { uint8: 0, int32: 1, float32: 3, int16: 4 };

/** FreeSurfer's conformed orientation (LIA) used when the header has no valid geometry. */
const DEFAULT_MDC = [-1, 0, 0, 0, 0, -1, 0, 1, 0];

interface MghGeometry {
  spacing: [number, number, number];
  /** Column direction cosines: xr xa xs, yr ya ys, zr za zs. */
  mdc: number[];
  cras: [number, number, number];
}

/** Reads a FreeSurfer .mgh or .mgz (gzipped) volume; of a multi-frame file, frame `frame` (0-based). */
export function readMgh(input: Uint8Array, frame = 0): Volume {
  const bytes = gunzipIfNeeded(input, undefined, mghSize);
  if (bytes.length < MGH_DATA_OFFSET) {
    throw new VolumeError(
      `the file is truncated or corrupt: ${bytes.length} bytes is smaller than an MGH header`,
    );
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { dims, kind, frames } = layout(v);
  checkFrame(frame, frames);
  const offset = MGH_DATA_OFFSET + frame * product(dims) * bytesPerVoxel(kind);
  checkLength(bytes, dims, kind, offset);
  const data = readVoxels(bytes, offset, product(dims), kind, false);
  const geometry = readGeometry(v);
  return {
    dims,
    affine: geometryToAffine(geometry, dims),
    data,
    ...(frames > 1 ? { frames, frame } : {}),
    ...(geometry.note ? { geometryNote: geometry.note } : {}),
  };
}

/** Dims, voxel kind and frames of a header, refused when they are over the voxel budget. */
function layout(v: DataView): { dims: [number, number, number]; kind: VoxelKind; frames: number } {
  const version = v.getInt32(0, false);
  if (version !== 1) throw new VolumeError(`this is not an MGH/MGZ file (version field is ${version}, expected 1)`);
  const dims = readDims(v);
  const kind = readKind(v.getInt32(20, false));
  const frames = v.getInt32(16, false);
  checkVoxelBudget(dims, frames);
  return { dims, kind, frames };
}

/**
 * The bytes an MGH file's voxels end at by its header (every frame), from its first bytes; null
 * when they are too few for a header. Throws when the header is over the voxel budget or
 * unreadable, so a compressed file is refused before it is inflated.
 */
export function mghSize(head: Uint8Array): number | null {
  if (head.length < MGH_DATA_OFFSET) return null;
  const { dims, kind, frames } = layout(new DataView(head.buffer, head.byteOffset, head.byteLength));
  return MGH_DATA_OFFSET + frames * product(dims) * bytesPerVoxel(kind);
}

function readDims(v: DataView): [number, number, number] {
  const d: [number, number, number] = [v.getInt32(4, false), v.getInt32(8, false), v.getInt32(12, false)];
  const frames = v.getInt32(16, false);
  if (d.some((n) => n < 1) || frames < 1) {
    throw new VolumeError(
      `the file is truncated or corrupt: the header declares image size ${d.join("×")} with ${frames} frames`,
    );
  }
  return d;
}

function readKind(type: number): VoxelKind {
  const kind = KIND_BY_TYPE[type];
  if (kind) return kind;
  throw new VolumeError(
    `MGH voxel type ${type} is not supported (only uchar, short, int and float): ` +
      "convert the scan with mri_convert to a float or uchar volume",
  );
}

function checkLength(bytes: Uint8Array, dims: number[], kind: VoxelKind, offset: number): void {
  const need = product(dims) * bytesPerVoxel(kind);
  const have = bytes.length - offset;
  if (have < need) {
    throw new VolumeError(
      `the file is truncated or corrupt: the header declares ${dims.join("×")} ${kind} voxels ` +
        `(${need} bytes) but only ${have} bytes of image data follow the header`,
    );
  }
}

/**
 * The header's geometry. Without goodRASFlag, FreeSurfer's own defaults (1 mm, LIA, centred), as
 * mri_info reads it. With it, what is unusable is replaced and said in `note`: a voxel size that is
 * not a positive number (1 mm), a direction matrix that is singular (all zero) or not a number
 * (LIA), a centre that is not a number (0). Neither voxel sizes nor directions: refused.
 */
function readGeometry(v: DataView): MghGeometry & { note?: string } {
  const f = (offset: number, n: number) =>
    Array.from({ length: n }, (_, i) => v.getFloat32(offset + 4 * i, false));
  if (v.getInt16(28, false) <= 0) return { spacing: [1, 1, 1], mdc: DEFAULT_MDC, cras: [0, 0, 0] };
  const spacing = f(30, 3) as MghGeometry["spacing"];
  const mdc = f(42, 9);
  const cras = f(78, 3) as MghGeometry["cras"];
  const badSizes = [0, 1, 2].filter((a) => !(Number.isFinite(spacing[a]) && spacing[a] > 0));
  const m = (r: number, c: number) => mdc[3 * c + r];
  const det = m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0)) + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0));
  const badMdc = !(Math.abs(det) > 1e-6);
  const sizes = () => spacing.map((x) => (Number.isFinite(x) ? x.toPrecision(3) : String(x))).join(" × ");
  if (badSizes.length && badMdc) {
    throw new VolumeError(`the header's voxel sizes (${sizes()}) and its direction matrix are both unusable, so volumes and positions cannot be known: fix the header (e.g. with mri_convert and its --in_orientation / -iis options) or export the scan again`);
  }
  const notes: string[] = [];
  if (badSizes.length) {
    notes.push(`The header's voxel sizes (${sizes()} mm) are not all positive numbers: 1 mm was assumed for ${badSizes.length === 1 ? "one axis" : `${badSizes.length} axes`}, so volumes and the model's resampling may be wrong. Fix the header or export the scan again.`);
    for (const a of badSizes) spacing[a] = 1;
  }
  if (badMdc) notes.push(`The header's direction matrix is unusable (${mdc.every((x) => x === 0) ? "all zero" : "singular or not a number"}): FreeSurfer's default orientation (LIA) was assumed, so left/right and position may be wrong; volumes are right.`);
  const badCentre = !cras.every(Number.isFinite);
  if (badCentre) notes.push("The header's centre (c_ras) is not a number: the scan is centred at 0, so its position may be wrong.");
  return {
    spacing,
    mdc: badMdc ? DEFAULT_MDC : mdc,
    cras: badCentre ? [0, 0, 0] : cras,
    ...(notes.length ? { note: notes.join(" ") } : {}),
  };
}

/** vox2ras = [M P0] with M = Mdc * diag(spacing) and P0 = c_ras - M * dims / 2 (FreeSurfer's centre). */
function geometryToAffine(g: MghGeometry, dims: [number, number, number]): Mat4 {
  const m = (r: number, c: number) => g.mdc[3 * c + r] * g.spacing[c];
  const out: Mat4 = new Array<number>(16).fill(0);
  for (let r = 0; r < 3; r++) {
    let centre = 0;
    for (let c = 0; c < 3; c++) {
      out[4 * r + c] = m(r, c);
      centre += m(r, c) * (dims[c] / 2);
    }
    out[4 * r + 3] = g.cras[r] - centre;
  }
  out[15] = 1;
  return out;
}

function affineToGeometry(a: Mat4, dims: [number, number, number]): MghGeometry {
  const spacing = voxelSizes(a);
  const mdc = [0, 1, 2].flatMap((c) => [0, 1, 2].map((r) => a[4 * r + c] / spacing[c]));
  const cras = [0, 1, 2].map(
    (r) => a[4 * r + 3] + [0, 1, 2].reduce((s, c) => s + a[4 * r + c] * (dims[c] / 2), 0),
  );
  return { spacing, mdc, cras: cras as MghGeometry["cras"] };
}

export interface WriteMghOptions {
  /** gzip the output (.mgz); default true. */
  gzip?: boolean;
}

/** Writes MGH (or MGZ when gzipped); voxel types other than uchar/short/int/float are stored as float. */
export function writeMgh(vol: Volume, opts: WriteMghOptions = {}): Uint8Array {
  assertWritable(vol.dims, vol.affine, vol.data.length);
  const geom = affineToGeometry(vol.affine, vol.dims);
  if (geom.spacing.some((s) => !(s > 0))) throw new VolumeError("cannot write MGH: the affine has a zero-length axis");
  const data = storable(vol.data);
  const body = voxelBytes(data, false);
  // Four trailing float32 scan parameters (TR, flip angle, TE, TI), zero here, as FreeSurfer writes them.
  const out = new Uint8Array(MGH_DATA_OFFSET + body.length + 16);
  writeHeader(new DataView(out.buffer), vol.dims, TYPE_BY_KIND[kindOf(data)] ?? 3, geom);
  out.set(body, MGH_DATA_OFFSET);
  return (opts.gzip ?? true) ? gzipSync(out, { level: 6 }) : out;
}

function storable(data: VoxelArray): VoxelArray {
  return TYPE_BY_KIND[kindOf(data)] !== undefined ? data : Float32Array.from(data);
}

function writeHeader(v: DataView, dims: number[], type: number, g: MghGeometry): void {
  [1, ...dims, 1, type, 0].forEach((x, n) => v.setInt32(4 * n, x, false)); // version .. dof
  v.setInt16(28, 1, false); // goodRASFlag
  [...g.spacing, ...g.mdc, ...g.cras].forEach((x, n) => v.setFloat32(30 + 4 * n, x, false));
}
