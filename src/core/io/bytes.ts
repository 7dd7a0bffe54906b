import { Gunzip } from "fflate";
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

/** Inflated bytes a file may hold beyond what its header declares (MGH tags after the voxels). */
export const TRAILING_ALLOWANCE = 1 << 20;

/** Bytes inflated before the header is sized: enough for a NIfTI-2 header, its extension flag and an MGH header. */
const HEAD_BYTES = 1024;

/**
 * Compressed bytes per step: at deflate's largest ratio (about 1:1032) one step inflates at most
 * ~17 MB, so a "gzip bomb" is stopped within that of its limit.
 */
const STEP = 1 << 14;

/**
 * The bytes a file's header says it holds, read from its first inflated bytes (null: it cannot be
 * sized). It may throw a VolumeError (a header over the voxel budget, not a scan): inflating stops.
 */
export type ExpectedSize = (head: Uint8Array) => number | null;

/**
 * Inflates every member of a gzip stream (`cat a.gz b.gz`, BGZF blocks and its empty end block)
 * with fflate's streaming Gunzip, a step at a time, checking each member's CRC-32 and length
 * against its trailer. Once the first bytes are out, `expected` sizes the output: inflating stops
 * as soon as it passes that size (plus TRAILING_ALLOWANCE), however small the compressed file.
 */
function inflateMembers(bytes: Uint8Array, expected: ExpectedSize | undefined, onProgress?: (fraction: number) => void): Uint8Array {
  // the last member's ISIZE (size mod 2^32) is the whole output's size for a single-member file: a
  // first guess at the buffer only, never trusted (a member's trailer is checked when it ends)
  const isize = bytes.length >= 18 ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : 0;
  let limit = Infinity;
  let sized = false;
  // deflate inflates at most ~1032 bytes per compressed byte: no buffer beyond that is ever needed
  const most = bytes.length * 1032 + HEAD_BYTES;
  let out: Uint8Array = new Uint8Array(Math.min(Math.max(isize, HEAD_BYTES), most, 1 << 26));
  let got = 0;
  let memberStart = 0; // where the current member's output begins
  let crc = CRC_INIT;
  const endMember = (trailerEnd: number) => {
    if (trailerEnd < 8 || trailerEnd > bytes.length) throw new VolumeError("the compressed (gzip) file is truncated or corrupt: a member has no trailer");
    const t = new DataView(bytes.buffer, bytes.byteOffset + trailerEnd - 8, 8);
    if (t.getUint32(0, true) !== crcEnd(crc)) {
      throw new VolumeError("the compressed (gzip) file is corrupt: its content does not match its checksum (CRC-32). Copy or export the file again.");
    }
    if (t.getUint32(4, true) !== (got - memberStart) % 2 ** 32) {
      throw new VolumeError(`the compressed (gzip) file is corrupt: it inflates to ${got - memberStart} bytes where its trailer records ${t.getUint32(4, true)}. Copy or export the file again.`);
    }
    memberStart = got;
    crc = CRC_INIT;
  };
  const size = () => {
    sized = true;
    const want = expected?.(out.subarray(0, got)) ?? null;
    if (want === null) return;
    limit = want + TRAILING_ALLOWANCE;
    // room for the declared bytes and a few trailing ones (MGH tags) without a copy of the whole
    const room = Math.min(want + (1 << 16), most);
    if (out.length < room && got <= limit) out = grow(out, got, room);
  };
  const stream = new Gunzip((chunk) => {
    if (got + chunk.length > limit) throw bomb(limit - TRAILING_ALLOWANCE);
    if (got + chunk.length > out.length) out = grow(out, got, Math.min(Math.max(2 * out.length, got + chunk.length), limit));
    out.set(chunk, got);
    crc = crcUpdate(crc, chunk);
    got += chunk.length;
    if (!sized && got >= HEAD_BYTES) size();
  });
  // called as the next member's header is read: every byte of the one before is out by then
  let boundary = -1; // where the last member checked ended
  stream.onmember = (offset) => {
    endMember(offset);
    boundary = offset;
  };
  let lastReport = 0;
  for (let at = 0; at < bytes.length; at += STEP) {
    try {
      stream.push(bytes.subarray(at, at + STEP), at + STEP >= bytes.length);
    } catch (err) {
      // zero bytes after the last member (padding some writers add): gunzip ignores them too
      if ((boundary >= 0 && zeroFrom(bytes, boundary)) || trailerBeforeZeros(bytes, endMember)) return out.subarray(0, got);
      throw err;
    }
    if (onProgress && (at + STEP >= bytes.length || at + STEP - lastReport >= 1 << 20)) {
      lastReport = at + STEP;
      onProgress(Math.min(1, lastReport / bytes.length));
    }
  }
  if (!sized) size();
  if (got > limit) throw bomb(limit - TRAILING_ALLOWANCE);
  // the last member's trailer ends the file, or zero padding follows it
  try {
    endMember(bytes.length);
  } catch (atEnd) {
    if (!trailerBeforeZeros(bytes, endMember)) throw atEnd;
  }
  return out.subarray(0, got);
}

const zeroFrom = (bytes: Uint8Array, from: number) => bytes.subarray(from).every((b) => b === 0);

/**
 * Where zero bytes follow the last member (padding some writers add; gunzip ignores it): checks its
 * trailer at each end from the last non-zero byte on; true when one checks.
 */
function trailerBeforeZeros(bytes: Uint8Array, check: (trailerEnd: number) => void): boolean {
  let firstZero = bytes.length;
  while (firstZero > 0 && bytes[firstZero - 1] === 0) firstZero--;
  // the trailer (CRC-32, size) holds the last non-zero byte, so it ends at most 8 bytes past it
  for (let end = Math.max(firstZero, 8); end <= Math.min(bytes.length - 1, firstZero + 8); end++) {
    try {
      check(end);
      return true;
    } catch {
      // not the trailer: one byte on
    }
  }
  return false;
}

function grow(out: Uint8Array, used: number, size: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(size);
  grown.set(out.subarray(0, used));
  return grown;
}

function bomb(declared: number): VolumeError {
  return new VolumeError(
    `the compressed (gzip) file inflates to more than the ${declared} bytes its header declares, so it was stopped there: the file is damaged or made to exhaust memory (a "gzip bomb"). Export the scan again.`,
  );
}

/**
 * Gunzips when the gzip magic is present: every member, each checked against its CRC-32 and
 * length. `expected` (the header's size of the content) stops a stream that inflates beyond it;
 * `onProgress` reports the fraction of the compressed input read (the app's open progress).
 * A broken stream becomes a user-facing VolumeError.
 */
export function gunzipIfNeeded(bytes: Uint8Array, onProgress?: (fraction: number) => void, expected?: ExpectedSize): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return inflateMembers(bytes, expected, onProgress);
  } catch (err) {
    if (err instanceof VolumeError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new VolumeError(
      `the compressed (gzip) file is truncated or corrupt and cannot be decompressed (${why})`,
    );
  }
}

/** CRC-32 tables for slicing by 8 (IEEE polynomial, as gzip). */
let crcTables: Uint32Array[] | null = null;

function tables(): Uint32Array[] {
  if (crcTables) return crcTables;
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) t[k][n] = (t[0][t[k - 1][n] & 0xff] ^ (t[k - 1][n] >>> 8)) >>> 0;
  return (crcTables = t);
}

const CRC_INIT = 0xffffffff;
const crcEnd = (c: number) => (c ^ 0xffffffff) >>> 0;

/** Runs the CRC-32 register over `data`, eight bytes a step. */
function crcUpdate(crc: number, data: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables();
  let c = crc;
  let i = 0;
  const n8 = data.length - 8;
  for (; i <= n8; i += 8) {
    const a = c ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^ t3[data[i + 4]] ^ t2[data[i + 5]] ^ t1[data[i + 6]] ^ t0[data[i + 7]];
  }
  for (; i < data.length; i++) c = t0[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return c;
}

/** CRC-32 (IEEE, as gzip). */
export function crc32(data: Uint8Array): number {
  return crcEnd(crcUpdate(CRC_INIT, data));
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
 * pipeline's copies multiply), counting every volume of a 4D file (the whole file is inflated and
 * held). Larger ones are refused before their voxels are read.
 */
export const MAX_SCAN_VOXELS = 160_000_000;

export function checkVoxelBudget(dims: readonly number[], frames = 1): void {
  const n = product(dims) * Math.max(1, frames);
  if (n <= MAX_SCAN_VOXELS) return;
  const millions = `${(n / 1e6).toFixed(0)} million voxels`;
  const limit = `this app reads at most ${MAX_SCAN_VOXELS / 1e6} million`;
  if (frames > 1) {
    throw new VolumeError(
      `the file has ${millions} (${dims.join("×")} in each of ${frames} volumes, 4D); ${limit}, counting every volume: save the volume you need as a file of its own first (e.g. fslroi scan.nii.gz one.nii.gz 0 1, or mri_convert --frame 0 scan.mgz one.mgz)`,
    );
  }
  throw new VolumeError(
    `the scan has ${millions} (${dims.join("×")}); ${limit}: crop it to the region of interest or resample it to coarser voxels first`,
  );
}

/** A frame index within a file's frames (0-based). */
export function checkFrame(frame: number, frames: number): void {
  if (!Number.isInteger(frame) || frame < 0 || frame >= Math.max(1, frames)) {
    throw new VolumeError(`volume ${frame + 1} was asked for, but the file holds ${Math.max(1, frames)}`);
  }
}
