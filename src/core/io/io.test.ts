import { readFileSync } from "node:fs";
import * as zlib from "node:zlib";
import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { dataPath, hasData, missingDataMessage } from "../../test/data";
import { applyAffine, identity4, invert4, multiply4, voxelSizes } from "../volume/affine";
import { VolumeError, type Mat4, type Volume, type VoxelArray } from "../volume/types";
import { MAX_SCAN_VOXELS } from "./bytes";
import { readMgh, readNifti, readVolume, writeMgh, writeNifti } from "./index";

// ------------------------------------------------------------------ helpers

/** Rotation of `deg` degrees about `axis` (Rodrigues), row-major 3x3. */
function rotation(axis: [number, number, number], deg: number): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n);
  const t = (deg * Math.PI) / 180;
  const c = Math.cos(t);
  const s = Math.sin(t);
  const C = 1 - c;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ];
}

/** R * diag(zooms) plus an offset; a negative zoom makes the determinant negative. */
function makeAffine(r: number[], zooms: number[], offset: number[]): Mat4 {
  const m: Mat4 = identity4();
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) m[4 * row + col] = r[3 * row + col] * zooms[col];
    m[4 * row + 3] = offset[row];
  }
  return m;
}

const OBLIQUE = makeAffine(rotation([1, 2, 3], 30), [-0.9, 1.1, 2.5], [-90.5, 110.25, -40]);
const DIMS: [number, number, number] = [5, 6, 7];
const N = DIMS[0] * DIMS[1] * DIMS[2];

function sample(kind: "uint8" | "int8" | "int16" | "uint16" | "int32" | "float32" | "float64"): VoxelArray {
  const f = (n: number) => Math.round(Math.sin(n * 0.37) * 1000);
  switch (kind) {
    case "uint8": return Uint8Array.from({ length: N }, (_, n) => (n * 7) % 256);
    case "int8": return Int8Array.from({ length: N }, (_, n) => ((n * 7) % 256) - 128);
    case "int16": return Int16Array.from({ length: N }, (_, n) => f(n) * 30);
    case "uint16": return Uint16Array.from({ length: N }, (_, n) => (n * 389) % 65536);
    case "int32": return Int32Array.from({ length: N }, (_, n) => f(n) * 100000);
    case "float32": return Float32Array.from({ length: N }, (_, n) => Math.sin(n) * 1234.5678);
    case "float64": return Float64Array.from({ length: N }, (_, n) => Math.cos(n) * 1e-3);
  }
}

function vol(data: VoxelArray, affine: Mat4 = OBLIQUE, dims: [number, number, number] = DIMS): Volume {
  return { dims, affine, data };
}

function expectAffineClose(actual: Mat4, expected: Mat4, tol = 1e-4): void {
  expect(actual).toHaveLength(16);
  actual.forEach((v, n) => {
    if (Math.abs(v - expected[n]) > tol) {
      throw new Error(`affine[${n}] = ${v}, expected ${expected[n]} (±${tol})\n${actual}\nvs\n${expected}`);
    }
  });
}

/** Same type and same values; a plain loop, since toEqual on millions of voxels takes seconds. */
function expectSameData(actual: VoxelArray, expected: VoxelArray): void {
  expect(actual.constructor).toBe(expected.constructor);
  expect(actual.length).toBe(expected.length);
  for (let n = 0; n < expected.length; n++) {
    if (!Object.is(actual[n], expected[n])) {
      throw new Error(`voxel ${n}: ${actual[n]} !== ${expected[n]}`);
    }
  }
}

/** Asserts `fn` throws a VolumeError and returns its message for further checks. */
function volumeErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VolumeError);
    return (err as VolumeError).message;
  }
  throw new Error("expected a VolumeError, but nothing was thrown");
}

/** Deterministic pseudo-random bytes (LCG), so failures reproduce. */
function randomBytes(length: number, seed = 12345): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s >>> 24;
  });
}

interface HandHeader {
  littleEndian?: boolean;
  dims: number[]; // dim[0..]
  datatype: number;
  bitpix: number;
  pixdim: number[]; // pixdim[0..]
  slope?: number;
  inter?: number;
  qformCode?: number;
  sformCode?: number;
  quatern?: number[];
  qoffset?: number[];
  srow?: number[];
}

/** A single-file NIfTI-1 built byte by byte, independent of writeNifti. */
function handNifti1(h: HandHeader, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(352 + data.length);
  const v = new DataView(out.buffer);
  const le = h.littleEndian ?? true;
  v.setInt32(0, 348, le);
  h.dims.forEach((d, n) => v.setInt16(40 + 2 * n, d, le));
  v.setInt16(70, h.datatype, le);
  v.setInt16(72, h.bitpix, le);
  h.pixdim.forEach((p, n) => v.setFloat32(76 + 4 * n, p, le));
  v.setFloat32(108, 352, le);
  v.setFloat32(112, h.slope ?? 0, le);
  v.setFloat32(116, h.inter ?? 0, le);
  v.setInt16(252, h.qformCode ?? 0, le);
  v.setInt16(254, h.sformCode ?? 0, le);
  (h.quatern ?? [0, 0, 0]).forEach((q, n) => v.setFloat32(256 + 4 * n, q, le));
  (h.qoffset ?? [0, 0, 0]).forEach((q, n) => v.setFloat32(268 + 4 * n, q, le));
  (h.srow ?? []).forEach((s, n) => v.setFloat32(280 + 4 * n, s, le));
  out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  out.set(data, 352);
  return out;
}

/** A single-file NIfTI-2 (540-byte header, 64-bit fields) built byte by byte. */
function handNifti2(h: HandHeader, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(544 + data.length);
  const v = new DataView(out.buffer);
  const le = h.littleEndian ?? true;
  v.setInt32(0, 540, le);
  out.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4); // "n+2\0\r\n\032\n"
  v.setInt16(12, h.datatype, le);
  v.setInt16(14, h.bitpix, le);
  h.dims.forEach((d, n) => v.setBigInt64(16 + 8 * n, BigInt(d), le));
  h.pixdim.forEach((p, n) => v.setFloat64(104 + 8 * n, p, le));
  v.setBigInt64(168, 544n, le);
  v.setFloat64(176, h.slope ?? 0, le);
  v.setFloat64(184, h.inter ?? 0, le);
  v.setInt32(344, h.qformCode ?? 0, le);
  v.setInt32(348, h.sformCode ?? 0, le);
  (h.quatern ?? [0, 0, 0]).forEach((q, n) => v.setFloat64(352 + 8 * n, q, le));
  (h.qoffset ?? [0, 0, 0]).forEach((q, n) => v.setFloat64(376 + 8 * n, q, le));
  (h.srow ?? []).forEach((s, n) => v.setFloat64(400 + 8 * n, s, le));
  out.set(data, 544);
  return out;
}

const U8_24 = Uint8Array.from({ length: 24 }, (_, n) => n * 10);
/** 2x3x4 uint8 image, qform only, qfac -1, pixdim 2,3,4. */
const QFORM_ONLY: HandHeader = {
  dims: [3, 2, 3, 4, 1, 1, 1, 1],
  datatype: 2,
  bitpix: 8,
  pixdim: [-1, 2, 3, 4, 1, 1, 1, 1],
  qformCode: 1,
  sformCode: 0,
  quatern: [0, 0, 0],
  qoffset: [10, 20, 30],
};

// ------------------------------------------------------------------ affine utilities

describe("affine utilities", () => {
  it("inverts, multiplies, applies and measures", () => {
    expectAffineClose(multiply4(OBLIQUE, invert4(OBLIQUE)), identity4(), 1e-12);
    expectAffineClose(multiply4(invert4(OBLIQUE), OBLIQUE), identity4(), 1e-12);
    const [x, y, z] = applyAffine(OBLIQUE, 1, 2, 3);
    expect(applyAffine(invert4(OBLIQUE), x, y, z).map((v) => +v.toFixed(9))).toEqual([1, 2, 3]);
    const sizes = voxelSizes(OBLIQUE);
    [0.9, 1.1, 2.5].forEach((s, n) => expect(sizes[n]).toBeCloseTo(s, 12));
    expect(() => invert4([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toThrow(/singular/);
  });
});

// ------------------------------------------------------------------ NIfTI

describe("NIfTI round trip", () => {
  for (const gzip of [true, false]) {
    for (const kind of ["uint8", "int16", "float32", "int8", "uint16", "int32", "float64"] as const) {
      it(`${kind}, gzip=${gzip}`, () => {
        const data = sample(kind);
        const bytes = writeNifti(vol(data), { gzip, description: "siteseg test" });
        expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
        if (!gzip) {
          expect(bytes.length).toBe(352 + data.byteLength);
          expect(String.fromCharCode(...bytes.subarray(344, 347))).toBe("n+1");
        }
        const back = readNifti(bytes);
        expect(back.dims).toEqual(DIMS);
        expectSameData(back.data, data);
        expectAffineClose(back.affine, OBLIQUE);
      });
    }
  }

  it("gzips by default", () => {
    const bytes = writeNifti(vol(sample("uint8")));
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
  });

  // The qform is what tools fall back to when they ignore the sform: it must encode the same geometry.
  const qformCases: [string, Mat4][] = [
    ["oblique, negative determinant", OBLIQUE],
    ["oblique, positive determinant", makeAffine(rotation([-2, 1, 0.5], 71), [1, 1.2, 3], [5, -6, 7])],
    ["LAS (180 degrees about z, qfac -1)", makeAffine([-1, 0, 0, 0, 1, 0, 0, 0, 1], [2, 2, 2], [90, -126, -72])],
    ["LIA coronal", makeAffine([-1, 0, 0, 0, 0, -1, 0, 1, 0], [1, 1, 1], [128, 128, -128])],
    ["180 degrees about x", makeAffine([1, 0, 0, 0, -1, 0, 0, 0, -1], [0.5, 0.6, 0.7], [0, 0, 0])],
    ["170 degrees about (1,1,0)", makeAffine(rotation([1, 1, 0], 170), [1, 1, 1], [1, 2, 3])],
  ];
  for (const [name, affine] of qformCases) {
    it(`writes a qform equal to the sform: ${name}`, () => {
      const bytes = writeNifti(vol(sample("uint8"), affine), { gzip: false });
      new DataView(bytes.buffer).setInt16(254, 0, true); // sform_code 0: force the qform path
      expectAffineClose(readNifti(bytes).affine, affine);
    });
  }
});

describe("NIfTI header handling", () => {
  it("qform only: identity quaternion, qfac -1, pixdim 2,3,4, offsets", () => {
    const v = readNifti(handNifti1(QFORM_ONLY, U8_24));
    expect(v.dims).toEqual([2, 3, 4]);
    expect(v.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(v.data)).toEqual(Array.from(U8_24));
    expectAffineClose(v.affine, [2, 0, 0, 10, 0, 3, 0, 20, 0, 0, -4, 30, 0, 0, 0, 1], 1e-6);
  });

  it("qform only: 90 degrees about z, and 180 degrees about x (a = 0)", () => {
    const s = Math.SQRT1_2;
    const z90 = readNifti(handNifti1({ ...QFORM_ONLY, pixdim: [1, 2, 3, 4], quatern: [0, 0, s] }, U8_24));
    expectAffineClose(z90.affine, [0, -3, 0, 10, 2, 0, 0, 20, 0, 0, 4, 30, 0, 0, 0, 1], 1e-6);
    const x180 = readNifti(handNifti1({ ...QFORM_ONLY, pixdim: [1, 2, 3, 4], quatern: [1, 0, 0] }, U8_24));
    expectAffineClose(x180.affine, [2, 0, 0, 10, 0, -3, 0, 20, 0, 0, -4, 30, 0, 0, 0, 1], 1e-6);
  });

  it("prefers the sform whenever sform_code > 0, even if qform_code is higher", () => {
    const srow = [-1.5, 0, 0, 7, 0, 1.5, 0, 8, 0, 0, 1.5, 9];
    const v = readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 4, sformCode: 1, srow }, U8_24));
    expectAffineClose(v.affine, [...srow, 0, 0, 0, 1], 1e-6);
  });

  it("falls back to diag(pixdim) without qform and sform", () => {
    const v = readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 0 }, U8_24));
    expectAffineClose(v.affine, [2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1], 1e-6);
  });

  it("a declared but singular sform (and no usable qform): placed by pixdim, with a note; without voxel sizes, refused", () => {
    const singular = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const v = readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 0, sformCode: 2, srow: singular }, U8_24));
    expectAffineClose(v.affine, [2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1], 1e-6);
    expect(v.geometryNote).toMatch(/^The header's orientation matrix is unusable .* \(2\.00 × 3\.00 × 4\.00 mm\)/);
    expect(readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 0 }, U8_24)).geometryNote).toBeUndefined();
    expect(() => readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 0, sformCode: 2, srow: singular, pixdim: [1, 0, 0, 0] }, U8_24))).toThrow(/matrix is unusable .* and it gives no voxel sizes/);
  });

  it("negative pixdim with a qform: magnitudes as nibabel reads them, and the user is told nifti1_io differs", () => {
    const v = readNifti(handNifti1({ ...QFORM_ONLY, pixdim: [-1, -2, 3, -4] }, U8_24));
    expectAffineClose(v.affine, [2, 0, 0, 10, 0, 3, 0, 20, 0, 0, -4, 30, 0, 0, 0, 1], 1e-6);
    expect(v.geometryNote).toBe("The header's voxel sizes are negative (pixdim[1] -2, pixdim[3] -4), which NIfTI does not allow: their magnitudes were used as the sizes, as nibabel does; nifti1_io-based tools (FSL, AFNI) take 1 mm instead, so volumes there differ. Fix the header to be sure.");
    // qfac: only its sign counts (nifti1_io); a value other than ±1 is said, as nibabel reads it as 1
    const q = readNifti(handNifti1({ ...QFORM_ONLY, pixdim: [-2, 2, 3, 4] }, U8_24));
    expectAffineClose(q.affine, [2, 0, 0, 10, 0, 3, 0, 20, 0, 0, -4, 30, 0, 0, 0, 1], 1e-6);
    expect(q.geometryNote).toMatch(/^The header's qfac \(pixdim\[0\]\) is -2, which should be 1 or -1: it was read as -1/);
    expect(readNifti(handNifti1({ ...QFORM_ONLY, pixdim: [0, 2, 3, 4] }, U8_24)).geometryNote).toBeUndefined(); // qfac 0 is 1
    expect(readNifti(handNifti1(QFORM_ONLY, U8_24)).geometryNote).toBeUndefined();
  });

  it("a zero or NaN voxel size without any orientation is named, 1 mm assumed; a 1-voxel axis needs none", () => {
    const v = readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 0, pixdim: [1, 2, 0, NaN] }, U8_24));
    expectAffineClose(v.affine, [2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], 1e-6);
    expect(v.geometryNote).toBe("The header gives no voxel size along 2 axes (pixdim[2] 0, pixdim[3] NaN) and no orientation: 1 mm was assumed there, so volumes and the model's resampling may be wrong. Fix the voxel sizes in the header (e.g. with nibabel) or export the scan again.");
    const negative = readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 0, pixdim: [1, -2, 3, 4] }, U8_24));
    expectAffineClose(negative.affine, [2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1], 1e-6);
    expect(negative.geometryNote).toMatch(/^The header's voxel sizes are negative \(pixdim\[1\] -2\), .* nifti1_io-based tools \(FSL, AFNI\) flip those axes instead/);
    const slice = readNifti(handNifti1({ ...QFORM_ONLY, qformCode: 0, dims: [3, 4, 6, 1, 1, 1, 1, 1], pixdim: [1, 2, 3, 0] }, U8_24));
    expect(slice.geometryNote).toBeUndefined();
    // with a qform, 0 is 1 mm too (nifti1_io and nibabel agree), and said
    expect(readNifti(handNifti1({ ...QFORM_ONLY, pixdim: [1, 0, 3, 4] }, U8_24)).geometryNote).toMatch(/^The header gives no voxel size along one axis \(pixdim\[1\] 0\): 1 mm was assumed/);
  });

  it("a scale slope that overflows float32 leaves the voxels as stored, and says why", () => {
    const raw = Int16Array.from({ length: 24 }, (_, n) => n * 100);
    const base = { ...QFORM_ONLY, datatype: 4, bitpix: 16 };
    const v = readNifti(handNifti1({ ...base, slope: 1e36 }, new Uint8Array(raw.buffer)));
    expect(v.data).toEqual(raw); // before: Float32Array with 20 voxels at Infinity
    expect(v.voxelNote).toBe("The header's scale slope (scl_slope 1.00e+36) overflows: it takes 20 stored voxels (83.33% of the scan, stored values up to 2300) beyond the largest 32-bit float (3.4e38), where they would be infinite. The voxels were read as stored, unscaled: intensities are relative, and the mask does not depend on their scale. Fix scl_slope in the header or export the scan again.");
    expect(readNifti(handNifti1({ ...base, slope: 1e30 }, new Uint8Array(raw.buffer))).voxelNote).toBeUndefined();
  });

  it("reads big-endian files into native byte order", () => {
    const values = Int16Array.from({ length: 24 }, (_, n) => n * 1000 - 12000);
    const be = new Uint8Array(48);
    values.forEach((x, n) => new DataView(be.buffer).setInt16(2 * n, x, false));
    const h = { ...QFORM_ONLY, littleEndian: false, datatype: 4, bitpix: 16 };
    const v = readNifti(handNifti1(h, be));
    expect(v.data).toBeInstanceOf(Int16Array);
    expect(Array.from(v.data)).toEqual(Array.from(values));
    expectAffineClose(v.affine, [2, 0, 0, 10, 0, 3, 0, 20, 0, 0, -4, 30, 0, 0, 0, 1], 1e-6);
  });

  it("reads NIfTI-2 (little and big endian, gzipped)", () => {
    const srow = [0, 0, 1.25, -3, -1, 0, 0, 4, 0, 1, 0, -5];
    const values = Float32Array.from({ length: 24 }, (_, n) => n / 3);
    for (const littleEndian of [true, false]) {
      const raw = new Uint8Array(96);
      values.forEach((x, n) => new DataView(raw.buffer).setFloat32(4 * n, x, littleEndian));
      const h = { ...QFORM_ONLY, littleEndian, datatype: 16, bitpix: 32, sformCode: 2, srow };
      const v = readNifti(gzipSync(handNifti2(h, raw)));
      expect(v.dims).toEqual([2, 3, 4]);
      expect(v.data).toEqual(values);
      expectAffineClose(v.affine, [...srow, 0, 0, 0, 1], 1e-9);
    }
  });

  it("applies scl_slope / scl_inter, producing float32", () => {
    const raw = Int16Array.from({ length: 24 }, (_, n) => n - 5);
    const bytes = new Uint8Array(raw.buffer);
    const base = { ...QFORM_ONLY, datatype: 4, bitpix: 16 };
    const scaled = readNifti(handNifti1({ ...base, slope: 2, inter: -1 }, bytes));
    expect(scaled.data).toBeInstanceOf(Float32Array);
    expect(Array.from(scaled.data)).toEqual(Array.from(raw, (x) => 2 * x - 1));
    const offsetOnly = readNifti(handNifti1({ ...base, slope: 1, inter: 100 }, bytes));
    expect(Array.from(offsetOnly.data)).toEqual(Array.from(raw, (x) => x + 100));
    // slope 0 means "unscaled" in NIfTI; (1, 0) is a no-op: both keep the native type.
    for (const [slope, inter] of [[0, 5], [1, 0], [Number.NaN, 0]]) {
      const v = readNifti(handNifti1({ ...base, slope, inter }, bytes));
      expect(v.data).toBeInstanceOf(Int16Array);
      expect(v.data).toEqual(raw);
    }
  });

  it("keeps the first frame of a 4D file", () => {
    const frames = Uint8Array.from({ length: 24 * 3 }, (_, n) => n);
    const v = readNifti(handNifti1({ ...QFORM_ONLY, dims: [4, 2, 3, 4, 3, 1, 1, 1] }, frames));
    expect(v.dims).toEqual([2, 3, 4]);
    expect(Array.from(v.data)).toEqual(Array.from(frames.subarray(0, 24)));
  });
});

describe("NIfTI errors", () => {
  it("rejects RGB and complex data with advice", () => {
    const rgb = handNifti1({ ...QFORM_ONLY, datatype: 128, bitpix: 24 }, new Uint8Array(72));
    expect(volumeErrorOf(() => readNifti(rgb))).toMatch(
      /datatype 128 \(RGB\) is not supported: convert the scan to a grey-scale NIfTI/,
    );
    const cplx = handNifti1({ ...QFORM_ONLY, datatype: 32, bitpix: 64 }, new Uint8Array(192));
    expect(volumeErrorOf(() => readNifti(cplx))).toMatch(/datatype 32 \(complex64\) is not supported/);
  });

  it("rejects zero dimensions as corrupt", () => {
    const bad = handNifti1({ ...QFORM_ONLY, dims: [3, 2, 0, 4, 1, 1, 1, 1] }, U8_24);
    expect(volumeErrorOf(() => readNifti(bad))).toMatch(/truncated or corrupt.*2×0×4/);
  });

  it("rejects truncated files, plain and gzipped", () => {
    const plain = writeNifti(vol(sample("int16")), { gzip: false });
    expect(volumeErrorOf(() => readNifti(plain.subarray(0, plain.length - 10)))).toMatch(
      /truncated or corrupt.*5×6×7 int16 voxels/,
    );
    expect(volumeErrorOf(() => readNifti(plain.subarray(0, 200)))).toMatch(/truncated or corrupt/);
    const gz = writeNifti(vol(sample("float32")));
    expect(volumeErrorOf(() => readNifti(gz.subarray(0, gz.length >> 1)))).toMatch(/truncated or corrupt/);
  });

  it("rejects random bytes", () => {
    expect(volumeErrorOf(() => readNifti(randomBytes(4096)))).toMatch(/not a NIfTI file/);
  });

  it("refuses to write inconsistent volumes", () => {
    expect(volumeErrorOf(() => writeNifti(vol(new Uint8Array(10))))).toMatch(/data has 10 voxels/);
  });
});

// ------------------------------------------------------------------ MGH

describe("MGH round trip", () => {
  for (const gzip of [true, false]) {
    for (const kind of ["uint8", "int16", "int32", "float32"] as const) {
      it(`${kind}, gzip=${gzip}`, () => {
        const data = sample(kind);
        const bytes = writeMgh(vol(data), { gzip });
        expect(bytes[0] === 0x1f && bytes[1] === 0x8b).toBe(gzip);
        const back = readMgh(bytes);
        expect(back.dims).toEqual(DIMS);
        expectSameData(back.data, data);
        expectAffineClose(back.affine, OBLIQUE);
      });
    }
  }

  it("stores other voxel types as float32", () => {
    const data = sample("uint16");
    const back = readMgh(writeMgh(vol(data)));
    expect(back.data).toBeInstanceOf(Float32Array);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it("uses FreeSurfer's default LIA geometry when goodRASFlag is 0", () => {
    const cube: [number, number, number] = [4, 4, 4];
    const bytes = writeMgh(vol(new Uint8Array(64), identity4(), cube), { gzip: false });
    new DataView(bytes.buffer).setInt16(28, 0, false);
    expectAffineClose(readMgh(bytes).affine, [-1, 0, 0, 2, 0, 0, 1, -2, 0, -1, 0, 2, 0, 0, 0, 1], 1e-9);
  });

  it("a NaN voxel size or an all-zero direction matrix is named; both together are refused", () => {
    const cube: [number, number, number] = [4, 4, 4];
    const good = writeMgh(vol(new Uint8Array(64), makeAffine(rotation([0, 0, 1], 90), [2, 2, 2], [0, 0, 0]), cube), { gzip: false });
    const nanSize = good.slice();
    new DataView(nanSize.buffer).setFloat32(34, NaN, false); // ysize
    const a = readMgh(nanSize);
    expect(voxelSizes(a.affine).map((x) => +x.toFixed(6))).toEqual([2, 1, 2]); // its directions kept
    expect(a.geometryNote).toBe("The header's voxel sizes (2.00 × NaN × 2.00 mm) are not all positive numbers: 1 mm was assumed for one axis, so volumes and the model's resampling may be wrong. Fix the header or export the scan again.");
    const zeroMdc = good.slice();
    for (let n = 0; n < 9; n++) new DataView(zeroMdc.buffer).setFloat32(42 + 4 * n, 0, false);
    const b = readMgh(zeroMdc);
    expect(voxelSizes(b.affine)).toEqual([2, 2, 2]);
    expect(b.geometryNote).toBe("The header's direction matrix is unusable (all zero): FreeSurfer's default orientation (LIA) was assumed, so left/right and position may be wrong; volumes are right.");
    new DataView(zeroMdc.buffer).setFloat32(34, NaN, false);
    expect(volumeErrorOf(() => readMgh(zeroMdc))).toMatch(/^the header's voxel sizes \(2\.00 × NaN × 2\.00\) and its direction matrix are both unusable/);
    expect(readMgh(good).geometryNote).toBeUndefined();
  });

  it("rejects truncated and unsupported files", () => {
    const plain = writeMgh(vol(sample("float32")), { gzip: false });
    expect(volumeErrorOf(() => readMgh(plain.subarray(0, 284 + 100)))).toMatch(/truncated or corrupt/);
    expect(volumeErrorOf(() => readMgh(plain.subarray(0, 100)))).toMatch(/truncated or corrupt/);
    const badType = plain.slice();
    new DataView(badType.buffer).setInt32(20, 2, false);
    expect(volumeErrorOf(() => readMgh(badType))).toMatch(/MGH voxel type 2 is not supported/);
    expect(volumeErrorOf(() => readMgh(randomBytes(1000)))).toMatch(/not an MGH/);
  });
});

// ------------------------------------------------------------------ readVolume

describe("readVolume", () => {
  const nii = writeNifti(vol(sample("int16")));
  const mgz = writeMgh(vol(sample("float32")));

  it("reads by extension", () => {
    expect(readVolume(nii, "scan.nii.gz").data).toEqual(sample("int16"));
    expect(readVolume(writeNifti(vol(sample("int16")), { gzip: false }), "SCAN.NII").dims).toEqual(DIMS);
    expect(readVolume(mgz, "brain.mgz").data).toEqual(sample("float32"));
    expect(readVolume(writeMgh(vol(sample("uint8")), { gzip: false }), "brain.mgh").dims).toEqual(DIMS);
  });

  it("reads by content when the extension is unknown or wrong", () => {
    expect(readVolume(nii, "upload").data).toEqual(sample("int16"));
    expect(readVolume(mgz, "download.bin").data).toEqual(sample("float32"));
    expect(readVolume(mgz, "mislabelled.nii.gz").data).toEqual(sample("float32"));
  });

  it("names the file and lists accepted formats for unknown content", () => {
    for (const name of ["random.bin", "scan.nii", "scan.mgz"]) {
      const msg = volumeErrorOf(() => readVolume(randomBytes(2048), name));
      expect(msg).toContain(name);
      expect(msg).toContain(".nii, .nii.gz, .mgh, .mgz");
    }
    const gz = volumeErrorOf(() => readVolume(gzipSync(randomBytes(2048)), "x.gz"));
    expect(gz).toMatch(/x\.gz: a compressed file of unknown content.*\.nii, \.nii\.gz, \.mgh, \.mgz/);
    expect(volumeErrorOf(() => readVolume(randomBytes(500), "t1.hdr"))).toMatch(/single \.nii/);
  });

  it("names the file in reader errors", () => {
    const msg = volumeErrorOf(() => readVolume(nii.subarray(0, 100), "t1.nii.gz"));
    expect(msg).toMatch(/^t1\.nii\.gz: .*truncated or corrupt/);
  });
});

// ------------------------------------------------------------------ real files

const REAL = ["niivue_fs/norm.mgz", "spm152/avg152T1.nii", "torchio_fpg/t2.nii.gz"];
const haveReal = hasData(...REAL);

describe.skipIf(!haveReal)(
  haveReal ? "real files" : `real files (SKIPPED: ${missingDataMessage(...REAL)})`,
  () => {
    const load = (rel: string) => readVolume(new Uint8Array(readFileSync(dataPath(rel))), rel);
    /** Flat index of voxel (i, j, k), i fastest. */
    const at = (v: Volume, i: number, j: number, k: number) =>
      v.data[i + v.dims[0] * (j + v.dims[1] * k)];
    const sum = (d: VoxelArray) => {
      let s = 0;
      for (let n = 0; n < d.length; n++) s += d[n];
      return s;
    };

    it("norm.mgz: 256³ uint8, LIA", () => {
      const v = load("niivue_fs/norm.mgz");
      expect(v.dims).toEqual([256, 256, 256]);
      expect(v.data).toBeInstanceOf(Uint8Array);
      // Column 0 points to -x (L), column 1 to -z (I), column 2 to +y (A).
      const a = v.affine;
      expect([Math.sign(Math.round(a[0])), Math.sign(Math.round(a[9])), Math.sign(Math.round(a[6]))]).toEqual([-1, -1, 1]);
      // Reference values from nibabel.
      expectAffineClose(a, [-1, 0, 0, 121.76697, 0, 0, 1, -118.48401, 0, -1, 0, 127.56124, 0, 0, 0, 1], 1e-4);
      expect(sum(v.data)).toBe(98284320);
      expect(at(v, 100, 120, 130)).toBe(88);
    });

    it("avg152T1.nii: 91×109×91, 2 mm, LAS, scaled by scl_slope 1/255", () => {
      const v = load("spm152/avg152T1.nii");
      expect(v.dims).toEqual([91, 109, 91]);
      expectAffineClose(v.affine, [-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1], 1e-6);
      expect(v.data).toBeInstanceOf(Float32Array);
      expect(at(v, 45, 60, 40)).toBeCloseTo(119 / 255, 6);
      expect(sum(v.data)).toBeCloseTo(63059330 / 255, 0);
    });

    it("t2.nii.gz: 320×320×26, 0.75×0.75×5.5 mm, int16, and survives a round trip", () => {
      const v = load("torchio_fpg/t2.nii.gz");
      expect(v.dims).toEqual([320, 320, 26]);
      expect(v.data).toBeInstanceOf(Int16Array);
      voxelSizes(v.affine).forEach((s, n) => expect(s).toBeCloseTo([0.75, 0.75, 5.5][n], 3));
      expectAffineClose(
        v.affine,
        [
          -0.74997818, 0, -0.04195793, 124.52757, 0.00079558, 0.74271393, -0.76475751, -113.77098,
          -0.00566595, 0.10428815, 5.44641018, -75.76178, 0, 0, 0, 1,
        ],
        1e-4,
      );
      expect(sum(v.data)).toBe(157115457);
      expect(at(v, 160, 170, 13)).toBe(226);
      const back = readNifti(writeNifti(v));
      expectSameData(back.data, v.data);
      expectAffineClose(back.affine, v.affine, 1e-5);
      const backMgh = readMgh(writeMgh(v));
      expectSameData(backMgh.data, v.data);
      expectAffineClose(backMgh.affine, v.affine, 1e-4);
    });
  },
);

describe("4D files", () => {
  it("NIfTI: the first frame or the one asked for, and how many there are", () => {
    const one = writeNifti({ dims: [2, 2, 2], affine: identity4(), data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) }, { gzip: false });
    const bytes = new Uint8Array(one.length + 32);
    bytes.set(one);
    new Float32Array(bytes.buffer, one.length, 8).set([9, 10, 11, 12, 13, 14, 15, 16]);
    const v = new DataView(bytes.buffer);
    v.setInt16(40, 4, true); // dim[0] = 4
    v.setInt16(48, 2, true); // dim[4] = 2 frames
    const vol = readNifti(bytes);
    expect(vol.frames).toBe(2);
    expect([...vol.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const second = readVolume(bytes, "series.nii", 1);
    expect([...second.data]).toEqual([9, 10, 11, 12, 13, 14, 15, 16]);
    expect(second.frame).toBe(1);
    expect(() => readVolume(bytes, "series.nii", 2)).toThrow("series.nii: volume 3 was asked for, but the file holds 2");
    expect(readNifti(one).frames).toBeUndefined();
  });
});

describe("gzip integrity", () => {
  const vol: Volume = { dims: [4, 4, 4], affine: identity4(), data: Float32Array.from({ length: 64 }, (_, i) => i) };

  it("a file whose content does not match its CRC-32 is refused; an intact one reads", () => {
    const gz = writeNifti(vol, { gzip: true });
    expect([...readNifti(gz).data]).toEqual([...vol.data]);
    const damaged = gz.slice();
    damaged[damaged.length - 8] ^= 0xff; // the stored checksum
    expect(() => readNifti(damaged)).toThrow(/does not match its checksum \(CRC-32\)/);
    expect(() => readVolume(damaged, "scan.nii.gz")).toThrow(VolumeError);
  });

  it("stored (uncompressed) deflate data changed in the middle is caught by the checksum", () => {
    const raw = writeNifti(vol, { gzip: false });
    const gz = gzipSync(raw, { level: 0 });
    const damaged = gz.slice();
    damaged[gz.length - 8 - 100] ^= 0x01; // a voxel byte inside the stored block
    expect(() => readNifti(damaged)).toThrow(/CRC-32/);
  });
});

describe("gzip members, bombs and trailers", () => {
  // gzip streams here come from node's zlib, an implementation independent of the reader's (fflate)
  const scan: Volume = { dims: [40, 30, 20], affine: identity4(), data: Float32Array.from({ length: 24000 }, (_, i) => Math.sin(i) * 100) };
  const raw = writeNifti(scan, { gzip: false });
  const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
  /** A BGZF file as htslib's bgzip writes it: members of at most 64 KiB with a "BC" extra field giving the member's size, then its empty end-of-file member. */
  const bgzf = (bytes: Uint8Array) => {
    const members: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 0xff00) {
      const gz = zlib.gzipSync(bytes.subarray(at, at + 0xff00)); // 10-byte header, deflate, CRC-32, ISIZE
      const member = new Uint8Array(gz.length + 8);
      member.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0]);
      new DataView(member.buffer).setUint16(16, member.length - 1, true);
      member.set(gz.subarray(10), 18);
      members.push(member);
    }
    members.push(Uint8Array.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0, 0x1b, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    return concat(members);
  };

  it("reads every member: `cat a.gz b.gz`, and BGZF with its empty end block", () => {
    const cat = concat([zlib.gzipSync(raw.subarray(0, 5000)), zlib.gzipSync(raw.subarray(5000, 60000)), zlib.gzipSync(raw.subarray(60000))]);
    const b = bgzf(raw);
    expect(new Uint8Array(zlib.gunzipSync(b))).toEqual(raw); // valid gzip by zlib's own reading
    for (const [name, gz] of [["cat.nii.gz", cat], ["bgzip.nii.gz", b]] as const) {
      expectSameData(readNifti(gz).data, scan.data); // before: the first member only, "truncated"
      expectSameData(readVolume(gz, name).data, scan.data);
      expectSameData(readVolume(gz, name, 0, () => {}).data, scan.data);
    }
    const mgz = concat([zlib.gzipSync(writeMgh(scan, { gzip: false }).subarray(0, 1000)), zlib.gzipSync(writeMgh(scan, { gzip: false }).subarray(1000))]);
    expectSameData(readVolume(mgz, "cat.mgz").data, scan.data);
  });

  it("zero bytes after the last member (padding some writers add) are ignored, as gunzip does; other trailing bytes are not", () => {
    const gz = new Uint8Array(zlib.gzipSync(raw));
    for (const pad of [1, 3, 4, 12, 4096]) {
      const padded = concat([gz, new Uint8Array(pad)]);
      expectSameData(readVolume(padded, "scan.nii.gz").data, scan.data); // before: refused as corrupt
      expectSameData(readVolume(padded, "scan.nii.gz", 0, () => {}).data, scan.data);
    }
    expectSameData(readNifti(concat([gz, zlib.gzipSync(new Uint8Array(0)), new Uint8Array(16)])).data, scan.data);
    expect(() => readNifti(concat([gz, Uint8Array.from([0, 0, 7, 0])]))).toThrow(/gzip/);
  });

  it("checks every member's CRC-32 and length, whatever the size field says", () => {
    const stored = new Uint8Array(zlib.gzipSync(raw, { level: 0 }));
    const damaged = stored.slice();
    damaged[stored.length - 8 - 1000] ^= 0x01; // a voxel byte in the stored block
    new DataView(damaged.buffer).setUint32(stored.length - 4, raw.length + 4, true); // and a size that does not match
    expect(() => readVolume(damaged, "scan.nii.gz")).toThrow("scan.nii.gz: the compressed (gzip) file is corrupt: its content does not match its checksum (CRC-32)"); // before: read
    const badSize = stored.slice();
    new DataView(badSize.buffer).setUint32(stored.length - 4, raw.length - 1, true);
    expect(() => readNifti(badSize)).toThrow(`the compressed (gzip) file is corrupt: it inflates to ${raw.length} bytes where its trailer records ${raw.length - 1}`);
    const first = new Uint8Array(zlib.gzipSync(raw.subarray(0, 5000)));
    first[first.length - 8] ^= 0xff; // the first member's CRC
    expect(() => readNifti(concat([first, zlib.gzipSync(raw.subarray(5000))]))).toThrow(/does not match its checksum \(CRC-32\)/);
  });

  it("a stream inflating beyond what its header declares is stopped there, early", () => {
    // a 2×2×2 uint8 NIfTI (360 bytes) followed by 1 GiB of zeros in 64 members: 1 MB compressed
    const header = writeNifti({ dims: [2, 2, 2], affine: identity4(), data: new Uint8Array(8) }, { gzip: false });
    const zeros = new Uint8Array(1 << 24);
    const rest = zlib.gzipSync(zeros, { level: 9 });
    const bomb = concat([zlib.gzipSync(concat([header, zeros])), ...Array.from({ length: 63 }, () => rest)]);
    const seen: number[] = [];
    const started = performance.now();
    expect(() => readVolume(bomb, "bomb.nii.gz", 0, (f) => seen.push(f))).toThrow('bomb.nii.gz: the compressed (gzip) file inflates to more than the 360 bytes its header declares, so it was stopped there: the file is damaged or made to exhaust memory (a "gzip bomb"). Export the scan again.');
    console.info(`1 GiB gzip bomb refused in ${(performance.now() - started).toFixed(0)} ms`);
    expect(seen.every((f) => f < 0.1)).toBe(true); // stopped within its first tenth
    expect(() => readNifti(zlib.gzipSync(concat([header, new Uint8Array(4 << 20)])))).toThrow(/inflates to more than the 360 bytes its header declares/);
    expect(() => readMgh(zlib.gzipSync(concat([writeMgh({ ...scan, data: new Uint8Array(24000) }, { gzip: false }), new Uint8Array(4 << 20)])))).toThrow(/inflates to more than the 24284 bytes/);
  });
});

describe("size budget", () => {
  it("a header declaring more voxels than the app reads is refused before the voxels are read, naming the limit", () => {
    const one = writeNifti({ dims: [2, 2, 2], affine: identity4(), data: new Float32Array(8) }, { gzip: false });
    const v = new DataView(one.buffer);
    [600, 600, 500].forEach((n, a) => v.setInt16(42 + 2 * a, n, true)); // dim[1..3]: 180 million voxels, no data behind them
    expect(() => readNifti(one)).toThrow("the scan has 180 million voxels (600×600×500); this app reads at most 160 million: crop it to the region of interest or resample it to coarser voxels first");
  });

  it("a compressed scan over the budget is refused from its header, before the rest is inflated", () => {
    // 512×512×1000 float32 CT (1 GB inflated): the header, then a stream broken after its first block
    const header = writeNifti({ dims: [2, 2, 2], affine: identity4(), data: new Float32Array(8) }, { gzip: false }).slice(0, 352);
    const v = new DataView(header.buffer);
    [512, 512, 1000].forEach((n, a) => v.setInt16(42 + 2 * a, n, true));
    const raw = new Uint8Array(352 + 4_000_000);
    raw.set(header);
    for (let i = 352; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24; // incompressible: many deflate blocks
    const gz = gzipSync(raw, { level: 1 });
    const broken = gz.slice(0, gz.length >> 1); // inflating it all would fail as "truncated or corrupt"
    expect(() => readVolume(broken, "ct.nii.gz")).toThrow("ct.nii.gz: the scan has 262 million voxels (512×512×1000); this app reads at most 160 million");
    expect(() => readVolume(gz.slice(0, 20), "tiny.nii.gz")).toThrow(/truncated or corrupt/); // no header to size: the full read explains
  });

  it("every volume of a 4D file counts toward the budget", () => {
    const header = writeNifti({ dims: [2, 2, 2], affine: identity4(), data: new Float32Array(8) }, { gzip: false });
    const v = new DataView(header.buffer);
    v.setInt16(40, 4, true);
    [256, 256, 256, 20].forEach((n, a) => v.setInt16(42 + 2 * a, n, true)); // 20 volumes of 16.8 million voxels
    const message = `the file has 336 million voxels (256×256×256 in each of 20 volumes, 4D); this app reads at most ${MAX_SCAN_VOXELS / 1e6} million, counting every volume: save the volume you need as a file of its own first (e.g. fslroi scan.nii.gz one.nii.gz 0 1, or mri_convert --frame 0 scan.mgz one.mgz)`;
    expect(() => readNifti(header)).toThrow(message); // before: "truncated" (one volume fit the budget)
    const raw = new Uint8Array(header.length + 4_000_000);
    raw.set(header);
    for (let i = header.length; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
    const gz = gzipSync(raw, { level: 1 });
    expect(() => readVolume(gz.slice(0, gz.length >> 1), "fmri.nii.gz")).toThrow(`fmri.nii.gz: ${message}`); // from its header, before the broken rest
    const mgh = writeMgh({ dims: [2, 2, 2], affine: identity4(), data: new Float32Array(8) }, { gzip: false });
    [256, 256, 256, 20].forEach((n, a) => new DataView(mgh.buffer).setInt32(4 + 4 * a, n, false));
    expect(() => readMgh(mgh)).toThrow(/^the file has 336 million voxels \(256×256×256 in each of 20 volumes, 4D\)/);
  });

  it("reports how far it is through a compressed file, ending at 1, with the same voxels", () => {
    const vol: Volume = { dims: [64, 64, 40], affine: identity4(), data: Float32Array.from({ length: 64 * 64 * 40 }, (_, i) => Math.sin(i) * 100) };
    const gz = writeNifti(vol, { gzip: true });
    const seen: number[] = [];
    const read = readVolume(gz, "s.nii.gz", 0, (f) => seen.push(f));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBe(1);
    expect(seen.every((f, i) => f > 0 && (i === 0 || f >= seen[i - 1]))).toBe(true);
    expect(read.data).toEqual(readVolume(gz, "s.nii.gz").data);
  });
});
