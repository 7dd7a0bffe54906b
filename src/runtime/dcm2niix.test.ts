import { describe, expect, it } from "vitest";
import { convertSeries, DicomError, groupDicomSeries, type DicomInput } from "../core/dicom";
import { orientationCode } from "../core/volume/grid";
import { voxelSizes } from "../core/volume/affine";
import type { Mat4 } from "../core/volume/types";
import { voxelsOfPixels, writeDicomSeries, type DicomFile, type SeriesSpec } from "../test/dicom";
import { runDcm2niixNode } from "./dcm2niix-node";

// dcm2niix (WebAssembly, the module the browser's DICOM worker runs) converts series written here
// from known volumes; the project's reader reads its NIfTI, and every voxel must sit where the
// DICOM tags put its pixel (IPP + column·Δc·row + row·Δr·column, LPS to RAS) and hold its value.

/** Rotation of `deg` degrees about `axis` (Rodrigues), row-major 3x3. */
function rotation(axis: [number, number, number], deg: number): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n);
  const t = (deg * Math.PI) / 180;
  const [c, s, C] = [Math.cos(t), Math.sin(t), 1 - Math.cos(t)];
  return [c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C];
}

/** R · diag(zooms) + offset; a negative zoom flips that axis. */
function makeAffine(r: number[], zooms: number[], offset: number[]): Mat4 {
  const m = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) m[4 * row + col] = r[3 * row + col] * zooms[col];
    m[4 * row + 3] = offset[row];
  }
  return m;
}

const DIMS: [number, number, number] = [14, 11, 9];
/** Distinct values, so a voxel found at the wrong place shows. */
const DATA = Int16Array.from({ length: DIMS[0] * DIMS[1] * DIMS[2] }, (_, n) => ((n * 37) % 2001) * 2 - 1000); // even: exact through the oblique series rescale

const AXIAL: SeriesSpec = { dims: DIMS, data: DATA, affine: makeAffine(rotation([0, 0, 1], 0), [0.9, 1.1, 2.5], [-6, 12.5, -30]), seriesDescription: "T1 axial", seriesNumber: 2, seriesUid: "1.2.826.0.1.3680043.8.498.2" };
/** 30° about an oblique axis, 0.9 × 1.1 × 2.5 mm, slices stepping against the image normal (a left-handed voxel grid). */
const OBLIQUE: SeriesSpec = {
  dims: DIMS,
  data: DATA,
  affine: makeAffine(rotation([1, 2, 3], 30), [0.9, 1.1, -2.5], [-40.5, 20.25, 15]),
  seriesDescription: "T2 oblique",
  seriesNumber: 5,
  seriesUid: "1.2.826.0.1.3680043.8.498.5",
  syntax: "implicit-le",
  fileName: (k) => `${1000 + k * 7}`, // no extension
  rescale: { slope: 2, intercept: -1000 },
};

const inputs = (files: DicomFile[]): DicomInput[] => files.map((f) => ({ name: `dicom/${f.name}`, bytes: f.bytes }));

/** The converted volume holds the series: each pixel's value at the voxel where its tags put it. */
function expectSeries(volume: { dims: number[]; affine: Mat4; data: ArrayLike<number> }, files: DicomFile[], spec: SeriesSpec) {
  expect(volume.dims.slice().sort((a, b) => a - b)).toEqual([...spec.dims].sort((a, b) => a - b));
  const at = voxelsOfPixels(volume, files, spec.dims[0], spec.dims[1]);
  let wrong = 0;
  for (let n = 0; n < at.length; n++) if (volume.data[at[n]] !== spec.data[n]) wrong++;
  expect(wrong, "voxels whose value is not their pixel's").toBe(0);
  const sizes = voxelSizes(volume.affine).sort((a, b) => a - b);
  [0.9, 1.1, 2.5].forEach((s, a) => expect(sizes[a]).toBeCloseTo(s, 5));
}

describe("dcm2niix in Node", () => {
  it("converts an axis-aligned series: geometry and values as written", async () => {
    const files = writeDicomSeries(AXIAL);
    const scan = await convertSeries(runDcm2niixNode, inputs(files), "T1 axial");
    expect(scan.nifti.name).toMatch(/\.nii$/);
    expect(scan.others).toBe(0);
    expectSeries(scan.volume, files, AXIAL);
    expect(orientationCode(scan.volume.affine)).toBe("RPS"); // dcm2niix flips the rows of the DICOM's RAS grid
  });

  it("converts an oblique, rescaled, implicit-VR series from shuffled, extensionless files", async () => {
    const files = writeDicomSeries(OBLIQUE);
    const shuffled = [3, 7, 0, 8, 1, 5, 2, 6, 4].map((k) => files[k]);
    const scan = await convertSeries(runDcm2niixNode, inputs(shuffled), "T2 oblique");
    expectSeries(scan.volume, files, OBLIQUE);
  });

  it("converts either series of a set holding two", async () => {
    const a = writeDicomSeries(AXIAL);
    const b = writeDicomSeries({ ...OBLIQUE, studyUid: "1.2.826.0.1.3680043.8.498.1" });
    const all = inputs([...b, ...a]);
    const { series } = groupDicomSeries(all);
    expect(series.map((s) => [s.description, s.images])).toEqual([
      ["T1 axial", 9],
      ["T2 oblique", 9],
    ]);
    for (const [s, files, spec] of [[series[0], a, AXIAL], [series[1], b, OBLIQUE]] as const) {
      const scan = await convertSeries(runDcm2niixNode, s.files.map((n) => all[n]), s.description);
      expectSeries(scan.volume, files, spec);
    }
  });

  it("a series that cannot be converted is a DicomError that says why", async () => {
    const files = writeDicomSeries(AXIAL).map((f) => ({ ...f, bytes: f.bytes.slice(0, f.bytes.length - 100) })); // pixel data cut short
    const err = await convertSeries(runDcm2niixNode, inputs(files), "T1 axial").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DicomError);
    expect((err as Error).message).toMatch(/^T1 axial: the DICOM images could not be converted to a volume \(.*\)\. dcm2niix said: .*dicom\/IM0001\.dcm/);
    console.info((err as Error).message);
  });
});
