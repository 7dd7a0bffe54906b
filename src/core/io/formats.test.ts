import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { writeDicomSeries } from "../../test/dicom";
import { groupDicomSeries } from "../dicom";
import { isVolumePath, pairFiles } from "../study/pairing";
import type { Mat4, Volume } from "../volume/types";
import { ACCEPTED_FORMATS, FORMATS, formatOfName, formatsSentence, LABEL_ACCEPT, LABEL_FORMATS, SCAN_ACCEPT, stripVolumeExtension, VOLUME_ACCEPT, VOLUME_FORMATS, type VolumeFormatId } from "./formats";
import { readVolume, writeMgh, writeNifti } from "./index";
import { MAIN_HELP, STUDY_HELP } from "../../cli/format";

// Every check below walks the table: a format added to it is read, accepted, paired and named
// everywhere, or a test here fails.

const AFFINE: Mat4 = [1, 0, 0, -2, 0, 1, 0, -3, 0, 0, 2, 4, 0, 0, 0, 1];
const VOLUME: Volume = { dims: [4, 3, 2], affine: AFFINE, data: Uint8Array.from({ length: 24 }, (_, n) => n % 5) };
/** A writer per volume format: the reader must read what it wrote. */
const WRITE: Record<VolumeFormatId, (v: Volume) => Uint8Array> = { nifti: writeNifti, mgh: writeMgh };
const volumeExtensions = VOLUME_FORMATS.flatMap((f) => f.extensions.map((ext) => ({ format: f, ext })));
const dicomExtensions = FORMATS.filter((f) => f.kind === "dicom").flatMap((f) => f.extensions);
const acceptList = (accept: string) => accept.split(",");

describe("the table of formats", () => {
  it("holds each extension once, lower case, with its dot; every format can be a scan", () => {
    const all = FORMATS.flatMap((f) => f.extensions);
    expect(new Set(all).size).toBe(all.length);
    for (const ext of all) expect(ext).toMatch(/^\.[a-z0-9.]+$/);
    expect(VOLUME_FORMATS.length).toBeGreaterThan(0);
    expect(FORMATS.every((f) => f.kind === "volume" || f.kind === "dicom")).toBe(true);
  });

  it.each(volumeExtensions.map(({ format, ext }) => [ext, format.id] as const))("a %s file (plain or gzipped) is read by readVolume as %s wrote it", (ext, id) => {
    const bytes = WRITE[id as VolumeFormatId](VOLUME);
    for (const file of [bytes, gzipSync(bytes)]) {
      const v = readVolume(file, `scan${ext.toUpperCase()}`);
      expect(v.dims).toEqual(VOLUME.dims);
      expect(Array.from(v.data)).toEqual(Array.from(VOLUME.data));
    }
    expect(formatOfName(`a/b/scan${ext}`)?.id).toBe(id);
  });

  it.each(volumeExtensions.map(({ ext }) => ext))("a %s file that is no volume is refused by its own reader, listing every volume extension", (ext) => {
    const junk = new Uint8Array(400).fill(7);
    let message = "";
    try {
      readVolume(junk, `scan${ext}`);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(new RegExp(`^scan${ext.replace(/\./g, "\\.")}: `));
    expect(message).not.toContain("not a recognised volume format"); // the extension chose the reader
    expect(message).toContain(`Accepted formats: ${ACCEPTED_FORMATS}`);
    for (const { ext: e } of volumeExtensions) expect(ACCEPTED_FORMATS.split(", ")).toContain(e);
  });

  it.each(dicomExtensions)("a DICOM series of %s files is found by its content; such a file is never taken for a volume", (ext) => {
    const files = writeDicomSeries({ dims: [5, 6, 3], data: new Int16Array(90).fill(100), affine: AFFINE, seriesDescription: "T1", seriesNumber: 1, seriesUid: "1.2.3", fileName: (k) => `IM${k}${ext}` });
    const grouped = groupDicomSeries(files.map((f) => ({ name: f.name, bytes: f.bytes })));
    expect(grouped.series.map((s) => s.images)).toEqual([3]);
    expect(formatOfName(files[0].name)?.kind).toBe("dicom");
    expect(isVolumePath(`site/${files[0].name}`)).toBe(false);
    expect(() => readVolume(new Uint8Array(400), `IM1${ext}`)).toThrow(/DICOM files are read when they carry the standard "DICM" marker/);
  });

  it.each(volumeExtensions.map(({ ext }) => ext))("the study pairs X%s with X_label and X_seg in every label format, and strips the extension", (ext) => {
    expect(isVolumePath(`siteA/case${ext.toUpperCase()}`)).toBe(true);
    expect(isVolumePath(`siteA/.hidden/case${ext}`)).toBe(false);
    expect(stripVolumeExtension(`sub-01_T1w.v2${ext}`)).toBe("sub-01_T1w.v2");
    for (const label of LABEL_FORMATS.flatMap((f) => f.extensions)) {
      for (const suffix of ["_label", "_seg"]) {
        const { cases, unpaired } = pairFiles([`siteA/case${ext}`, `siteA/case${suffix}${label}`, "siteA/notes.txt"], "root");
        expect(cases).toEqual([{ id: "siteA/case", site: "siteA", image: `siteA/case${ext}`, label: `siteA/case${suffix}${label}` }]);
        expect(unpaired).toEqual([]);
      }
    }
  });

  it("is what the pickers offer: Open scan every extension, the study's pickers the volumes, a reference's picker the label formats", () => {
    expect(acceptList(SCAN_ACCEPT).sort()).toEqual(FORMATS.flatMap((f) => f.extensions).sort());
    expect(acceptList(VOLUME_ACCEPT).sort()).toEqual(volumeExtensions.map(({ ext }) => ext).sort());
    expect(acceptList(LABEL_ACCEPT).sort()).toEqual(LABEL_FORMATS.flatMap((f) => f.extensions).sort());
    for (const ext of dicomExtensions) expect(acceptList(VOLUME_ACCEPT)).not.toContain(ext);
  });

  it("is named in the users' sentences and the CLI's help", () => {
    const sentence = formatsSentence("or");
    expect(sentence).toMatch(/ or [^,]+$/);
    for (const f of FORMATS) {
      expect(sentence).toContain(f.name);
      expect(MAIN_HELP).toContain(f.name);
      expect(MAIN_HELP).toContain(f.description);
      for (const ext of f.extensions) {
        if (f.kind === "volume") expect(sentence).toContain(ext);
        expect(MAIN_HELP).toContain(ext);
      }
    }
    const pairingRule = STUDY_HELP.split("\n").find((l) => l.includes("X_label")) ?? "";
    for (const { ext } of volumeExtensions) expect(pairingRule).toContain(ext);
  });
});
