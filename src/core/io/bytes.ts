import { Gunzip, gunzipSync } from "fflate";
import { VolumeError, type VoxelArray } from "../volume/types";

/** True on every browser and Node build we target; checked once so file byte order can be compared. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type VoxelKind =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64";

type VoxelCtor = {
  new (buffer: ArrayBuffer): VoxelArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CTORS: Record<VoxelKind, VoxelCtor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

export function bytesPerVoxel(kind: VoxelKind): number {
  return CTORS[kind].BYTES_PER_ELEMENT;
}

/** The kind of a typed array, for writers that pick a datatype code from it. */
export function kindOf(data: VoxelArray): VoxelKind {
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  if (data instanceof Float32Array) return "float32";
  return "float64";
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The first `n` bytes of a gzip stream (fewer if it is shorter or broken), inflating no more than needed. */
export function gunzipHead(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let got = 0;
  try {
    const stream = new Gunzip((chunk) => {
      out.set(chunk.subarray(0, n - got), got);
      got += Math.min(chunk.length, n - got);
    });
    for (let at = 0; at < bytes.length && got < n; at += 4096) stream.push(bytes.subarray(at, at + 4096), at + 4096 >= bytes.length);
  } catch {
    // a broken stream: the full read says what is wrong
  }
  return out.subarray(0, got);
}

/** Inflates in 1 MB steps, reporting the fraction of the compressed input read. */
function gunzipChunked(bytes: Uint8Array, onProgress: (fraction: number) => void): Uint8Array {
  const size = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true); // size mod 2^32
  let out = new Uint8Array(Math.max(size, 1));
  let got = 0;
  const stream = new Gunzip((chunk) => {
    if (got + chunk.length > out.length) {
      const grown = new Uint8Array(Math.max(2 * out.length, got + chunk.length));
      grown.set(out.subarray(0, got));
      out = grown;
    }
    out.set(chunk, got);
    got += chunk.length;
  });
  const step = 1 << 20;
  for (let at = 0; at < bytes.length; at += step) {
    stream.push(bytes.subarray(at, at + step), at + step >= bytes.length);
    onProgress(Math.min(1, (at + step) / bytes.length));
  }
  return out.subarray(0, got);
}

/**
 * Gunzips when the gzip magic is present; a broken stream becomes a user-facing VolumeError.
 * With `onProgress`, inflates in steps and reports how far it is (the app's open progress).
 */
export function gunzipIfNeeded(bytes: Uint8Array, onProgress?: (fraction: number) => void): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  let out: Uint8Array;
  try {
    out = onProgress ? gunzipChunked(bytes, onProgress) : gunzipSync(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new VolumeError(
      `the compressed (gzip) file is truncated or corrupt and cannot be decompressed (${why})`,
    );
  }
  // fflate does not check the trailer: a damaged file can inflate to wrong voxels. The trailer
  // (CRC-32, size mod 2^32) is the last member's; it is checked when it describes the whole output
  // (a single-member file, as every NIfTI/MGZ writer makes).
  const tail = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  if (tail.getUint32(4, true) === out.length % 2 ** 32 && tail.getUint32(0, true) !== crc32(out)) {
    throw new VolumeError("the compressed (gzip) file is corrupt: its content does not match its checksum (CRC-32). Copy or export the file again.");
  }
  return out;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, as gzip), table-driven. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Reverses the bytes of each element in place (file byte order -> host byte order). */
export function swapInPlace(bytes: Uint8Array, elementSize: number): void {
  if (elementSize === 1) return;
  for (let i = 0; i + elementSize <= bytes.length; i += elementSize) {
    for (let a = i, b = i + elementSize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * Copies `count` voxels from `bytes` at `offset` into a fresh, aligned typed array in host order.
 * The copy is needed anyway: typed arrays cannot view unaligned offsets such as 284 or 352+ext.
 */
export function readVoxels(
  bytes: Uint8Array,
  offset: number,
  count: number,
  kind: VoxelKind,
  fileLittleEndian: boolean,
): VoxelArray {
  const size = bytesPerVoxel(kind);
  const copy = bytes.slice(offset, offset + count * size);
  if (fileLittleEndian !== HOST_LITTLE_ENDIAN) swapInPlace(copy, size);
  return new CTORS[kind](copy.buffer);
}

/** The voxel bytes of `data` in the requested byte order (a copy only when swapping is needed). */
export function voxelBytes(data: VoxelArray, littleEndian: boolean): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndian === HOST_LITTLE_ENDIAN) return view;
  const copy = view.slice();
  swapInPlace(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

/** A standalone ArrayBuffer holding bytes[0, length), for APIs that take an ArrayBuffer. */
export function headBuffer(bytes: Uint8Array, length: number): ArrayBuffer {
  return bytes.slice(0, length).buffer;
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Checks a Volume before writing so writers never emit a file that cannot be read back. */
export function assertWritable(dims: readonly number[], affine: readonly number[], n: number): void {
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new VolumeError(`cannot write volume: invalid dims ${JSON.stringify(dims)}`);
  }
  if (product(dims) !== n) {
    throw new VolumeError(
      `cannot write volume: data has ${n} voxels but dims ${dims.join("x")} need ${product(dims)}`,
    );
  }
  if (affine.length !== 16 || affine.some((v) => !Number.isFinite(v))) {
    throw new VolumeError("cannot write volume: the affine must be 16 finite numbers");
  }
}

/**
 * The largest scan the app and CLI read: 160 million voxels (about 640 MB as float32, which the
 * pipeline's copies multiply). Larger ones are refused before their voxels are read.
 */
export const MAX_SCAN_VOXELS = 160_000_000;

export function checkVoxelBudget(dims: readonly number[]): void {
  const n = product(dims);
  if (n > MAX_SCAN_VOXELS) {
    throw new VolumeError(
      `the scan has ${(n / 1e6).toFixed(0)} million voxels (${dims.join("×")}); this app reads at most ${MAX_SCAN_VOXELS / 1e6} million: crop it to the region of interest or resample it to coarser voxels first`,
    );
  }
}

/** A frame index within a file's frames (0-based). */
export function checkFrame(frame: number, frames: number): void {
  if (!Number.isInteger(frame) || frame < 0 || frame >= Math.max(1, frames)) {
    throw new VolumeError(`volume ${frame + 1} was asked for, but the file holds ${Math.max(1, frames)}`);
  }
}
