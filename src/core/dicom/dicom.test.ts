import { describe, expect, it } from "vitest";
import { concat, writeDicomSeries } from "../../test/dicom";
import type { Mat4 } from "../volume/types";
import { anyDicom, DicomError, groupDicomSeries, isDicom, orientationLabel, readDicomHeader, scanFromConversion, seriesOrientation, seriesScanName } from ".";

const DIMS: [number, number, number] = [6, 5, 4];
const DATA = Array.from({ length: 120 }, (_, n) => n * 3 - 50);
const AXIAL: Mat4 = [0.9, 0, 0, -10, 0, 1.1, 0, 20, 0, 0, 2.5, 5, 0, 0, 0, 1];

const series = (over: Partial<Parameters<typeof writeDicomSeries>[0]> = {}) =>
  writeDicomSeries({ dims: DIMS, data: DATA, affine: AXIAL, seriesDescription: "T1 axial", seriesNumber: 3, seriesUid: "1.2.3.3", ...over });

describe("DICOM detection", () => {
  it("is by the DICM magic at byte 128, whatever the name", () => {
    const [file] = series({ fileName: () => "IM0001" });
    expect(isDicom(file.bytes)).toBe(true);
    expect(isDicom(file.bytes.subarray(0, 131))).toBe(false);
    const moved = new Uint8Array(200);
    moved.set([0x44, 0x49, 0x43, 0x4d], 0); // "DICM" at the start is not Part 10
    expect(isDicom(moved)).toBe(false);
    expect(readDicomHeader(moved)).toBeNull();
    expect(anyDicom([{ bytes: moved }, { bytes: file.bytes }])).toBe(true);
    expect(anyDicom([{ bytes: moved }])).toBe(false);
  });
});

describe("DICOM header", () => {
  const SYNTAXES = { "explicit-le": "1.2.840.10008.1.2.1", "implicit-le": "1.2.840.10008.1.2", "explicit-be": "1.2.840.10008.1.2.2", deflated: "1.2.840.10008.1.2.1.99" } as const;
  for (const [syntax, uid] of Object.entries(SYNTAXES) as [keyof typeof SYNTAXES, string][]) {
    it(`reads the fields that identify and place an image (${syntax})`, () => {
      const files = series({ syntax, seriesDescription: "T1 ä MPRAGE" });
      const h = readDicomHeader(files[2].bytes)!;
      expect(h).toMatchObject({
        transferSyntax: uid,
        sopClassUid: "1.2.840.10008.5.1.4.1.1.4",
        modality: "MR",
        seriesUid: "1.2.3.3",
        seriesNumber: 3,
        seriesDescription: "T1 ä MPRAGE",
        instanceNumber: 3,
        rows: 5,
        columns: 6,
        frames: 1,
        hasPixelData: true,
      });
      expect(h.orientation).toEqual([-1, 0, 0, 0, -1, 0]); // RAS axes in LPS
      expect(h.position).toEqual([10, -20, 10]); // slice 2: z = 5 + 2 * 2.5
      expect(h.pixelSpacing).toEqual([1.1, 0.9]); // between rows (y) first
    });
  }

  it("skips sequences of undefined length (and the UIDs inside them)", () => {
    const [file] = series();
    // a sequence of undefined length with an item holding a decoy series UID, before the real one
    const seq = new Uint8Array([
      0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, // (0008,1115) SQ, undefined length
      0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff, // item, undefined length
      0x20, 0x00, 0x0e, 0x00, 0x55, 0x49, 4, 0, 0x39, 0x2e, 0x39, 0, // (0020,000E) UI "9.9"
      0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, // item end
      0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0, // sequence end
    ]);
    const { body, bodyStart } = split(file.bytes);
    const cut = bodyStart + findTag(body, 0x0010, 0x0010); // before PatientName, after SeriesDescription
    const withSeq = concat(file.bytes.subarray(0, cut), seq, file.bytes.subarray(cut));
    expect(readDicomHeader(withSeq)).toMatchObject({ seriesUid: "1.2.3.3", seriesDescription: "T1 axial", rows: 5, hasPixelData: true });
  });

  it("keeps what it could read of a truncated file", () => {
    const [file] = series();
    const cut = file.bytes.subarray(0, split(file.bytes).bodyStart + findTag(split(file.bytes).body, 0x0020, 0x0032) + 4);
    const h = readDicomHeader(cut)!;
    expect(h.seriesUid).toBe("1.2.3.3");
    expect(h.position).toBeNull();
    expect(h.hasPixelData).toBe(false);
  });
});

describe("orientation", () => {
  it("names the plane, the letters and the tilt", () => {
    expect(seriesOrientation([1, 0, 0, 0, 1, 0])).toEqual({ plane: "axial", letters: "LPS", tilt: 0 });
    expect(seriesOrientation([1, 0, 0, 0, 0, -1])).toEqual({ plane: "coronal", letters: "LIP", tilt: 0 });
    expect(seriesOrientation([0, 1, 0, 0, 0, -1])).toEqual({ plane: "sagittal", letters: "PIR", tilt: 0 });
    const t = (20 * Math.PI) / 180;
    const oblique = seriesOrientation([1, 0, 0, 0, Math.cos(t), -Math.sin(t)])!;
    expect(oblique).toEqual({ plane: "axial", letters: "LPS", tilt: 20 });
    expect(orientationLabel(oblique)).toBe("Oblique axial (20°) · LPS");
    expect(orientationLabel(seriesOrientation([1, 0, 0, 0, 1, 0]))).toBe("Axial · LPS");
    expect(seriesOrientation([1, 0, 0, 1, 0, 0])).toBeNull(); // parallel: no normal
    expect(orientationLabel(null)).toBe("orientation unknown");
  });
});

describe("grouping into series", () => {
  it("sorts files into series by UID, in series-number order, and skips what is not an image", () => {
    const t1 = series({ seriesNumber: 7, seriesUid: "1.2.7", seriesDescription: "T1 / MPRAGE" });
    const t2 = series({ seriesNumber: 2, seriesUid: "1.2.2", seriesDescription: "", syntax: "implicit-le", fileName: (k) => `t2-${k}` });
    const notes = { name: "notes.txt", bytes: new TextEncoder().encode("hello") };
    const files = [t1[0], t2[1], notes, t1[1], t1[2], t2[0], t1[3]].map((f) => ({ name: `study/${f.name}`, bytes: f.bytes }));
    const g = groupDicomSeries(files);
    expect(g.series.map((s) => [s.number, s.description, s.images, s.files])).toEqual([
      [2, "Series 2", 2, [1, 5]],
      [7, "T1 / MPRAGE", 4, [0, 3, 4, 6]],
    ]);
    expect(g.series[1]).toMatchObject({ modality: "MR", rows: 5, columns: 6, pixelSpacing: [1.1, 0.9], orientation: { plane: "axial", letters: "RAS", tilt: 0 } });
    expect(g.skipped).toEqual([{ name: "study/notes.txt", reason: "not DICOM" }]);
    expect(seriesScanName(g.series[1])).toBe("T1 - MPRAGE");
  });

  it("splits one UID whose images differ in orientation (a three-plane localizer)", () => {
    const axial = series({ seriesUid: "1.2.9", seriesNumber: 1, seriesDescription: "localizer" });
    const coronal = series({ seriesUid: "1.2.9", seriesNumber: 1, seriesDescription: "localizer", affine: [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1] });
    const g = groupDicomSeries([...axial, ...coronal].map((f, n) => ({ name: `f${n}`, bytes: f.bytes })));
    expect(g.series.map((s) => [s.images, s.orientation?.plane])).toEqual([
      [4, "axial"],
      [4, "coronal"],
    ]);
  });
});

describe("dcm2niix output", () => {
  it("explains a run that wrote no volume, in dcm2niix's words", () => {
    const run = { files: [], log: ["Compression type 1.2.3 not supported", "Error: Unable to decode pixel data", "Warning: Patient Position (0018,5100) not specified (issue 642)."], exitCode: 2 };
    expect(() => scanFromConversion(run, "T1")).toThrow(DicomError);
    expect(() => scanFromConversion(run, "T1")).toThrow(
      "T1: the DICOM images could not be converted to a volume (no DICOM images were found). dcm2niix said: Compression type 1.2.3 not supported; Error: Unable to decode pixel data.",
    );
    const silent = { files: [], log: [], exitCode: 1 };
    expect(() => scanFromConversion(silent, "T1")).toThrow(/\(dcm2niix failed\)\. \(dcm2niix converts uncompressed, JPEG/);
  });
});

// ------------------------------------------------------------------ byte helpers

/** The dataset after the meta group, where it starts, and where the transfer syntax value is. */
function split(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const bodyStart = 132 + 12 + v.getUint32(140, true);
  return { body: bytes.subarray(bodyStart), bodyStart };
}

function findTag(bytes: Uint8Array, group: number, element: number): number {
  for (let i = 0; i + 4 <= bytes.length; i += 2) {
    if (bytes[i] === (group & 0xff) && bytes[i + 1] === group >> 8 && bytes[i + 2] === (element & 0xff) && bytes[i + 3] === element >> 8) return i;
  }
  throw new Error("tag not found");
}
