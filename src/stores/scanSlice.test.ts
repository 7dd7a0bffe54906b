import { beforeEach, describe, expect, it } from "vitest";
import type { Dcm2niixRun } from "../core/dicom";
import { readVolume, writeNifti } from "../core/io";
import { runDcm2niixNode } from "../runtime/dcm2niix-node";
import { writeDicomSeries, type SeriesSpec } from "../test/dicom";
import { resetApp, useApp } from "./store";

// Opening files through the store: one scan file, one DICOM series (opens at once), several
// (the picker's choice), and sets that cannot be opened (the loaded scan stays). dcm2niix runs
// in-process here, as the CLI runs it; the app runs the same module in a worker.

const DIMS: [number, number, number] = [8, 6, 4];
const DATA = Int16Array.from({ length: 192 }, (_, n) => n * 5);
const spec = (n: number, description: string): SeriesSpec => ({
  dims: DIMS,
  data: DATA,
  affine: [1.5, 0, 0, -6, 0, 1.2, 0, -3, 0, 0, 3, -6, 0, 0, 0, 1],
  seriesDescription: description,
  seriesNumber: n,
  seriesUid: `1.2.826.0.1.3680043.8.498.3.${n}`,
});
const files = (s: SeriesSpec, folder: string) => writeDicomSeries(s).map((f) => ({ name: `${folder}/${f.name.replace(/\.dcm$/, "")}`, bytes: f.bytes }));
const nifti = () => writeNifti({ dims: [4, 4, 4], affine: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], data: new Uint8Array(64) }, { gzip: false });

let calls = 0;
const counting: Dcm2niixRun = (inputs) => {
  calls++;
  return runDcm2niixNode(inputs);
};

beforeEach(() => {
  resetApp();
  calls = 0;
  useApp.setState({ dicomConverter: counting });
});

describe("opening files", () => {
  it("one DICOM series opens at once, named by its description", async () => {
    await useApp.getState().openScanFiles(files(spec(3, "T1 / MPRAGE"), "a"));
    const { scan, scanError, dicomChoice, scanBusy } = useApp.getState();
    expect(scanError).toBeNull();
    expect(dicomChoice).toBeNull();
    expect(scanBusy).toBeNull();
    expect(scan?.name).toBe("T1 - MPRAGE");
    expect(scan?.dicom).toEqual({ description: "T1 / MPRAGE", number: 3, images: 4, orientation: "Axial · RAS" });
    expect(scan?.volume.dims).toEqual(DIMS);
    expect(await scan?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("several series wait for a choice; the chosen one opens; Cancel keeps the scan", async () => {
    const all = [...files(spec(7, "FLAIR"), "s7"), ...files(spec(2, "T1"), "s2"), { name: "DICOMDIR.txt", bytes: new Uint8Array(10) }];
    await useApp.getState().openScanFiles(all);
    const choice = useApp.getState().dicomChoice!;
    expect(choice.series.map((s) => [s.number, s.description, s.images])).toEqual([
      [2, "T1", 4],
      [7, "FLAIR", 4],
    ]);
    expect(choice.skipped).toBe(1);
    expect(calls).toBe(0);
    await useApp.getState().chooseDicomSeries(choice.series[1].key);
    expect(useApp.getState().scan?.name).toBe("FLAIR");
    expect(useApp.getState().dicomChoice).toBeNull();
    expect(calls).toBe(1);

    await useApp.getState().openScanFiles(all);
    await useApp.getState().chooseDicomSeries(null);
    expect(useApp.getState().scan?.name).toBe("FLAIR");
    expect(calls).toBe(1);
  });

  it("a set that cannot be converted, or files that are no scan, leave the loaded scan and say why", async () => {
    await useApp.getState().openScan("head.nii", nifti());
    const broken = files(spec(4, "Broken"), "b").map((f) => ({ ...f, bytes: f.bytes.slice(0, -40) }));
    await useApp.getState().openScanFiles(broken);
    expect(useApp.getState().scanError).toMatch(/^Broken: the DICOM images could not be converted to a volume \(dcm2niix failed\)\. dcm2niix said: .*b\/IM0001/);
    expect(useApp.getState().scan?.name).toBe("head.nii");

    await useApp.getState().openScanFiles([
      { name: "x/notes.txt", bytes: new Uint8Array(300) },
      { name: "x/more.txt", bytes: new Uint8Array(300) },
    ]);
    expect(useApp.getState().scanError).toMatch(/^2 files were opened and none of them is DICOM/);
    expect(useApp.getState().scan?.name).toBe("head.nii");
    expect(calls).toBe(1);
  });

  it("a single scan file opens as before, also when it comes with other files", async () => {
    await useApp.getState().openScanFiles([{ name: "folder/head.nii", bytes: nifti() }]);
    expect(useApp.getState().scan?.name).toBe("head.nii");
    await useApp.getState().openScanFiles([
      { name: "f/readme.txt", bytes: new Uint8Array(3) },
      { name: "f/other.nii", bytes: nifti() },
    ]);
    expect(useApp.getState().scan?.name).toBe("other.nii");
    expect(calls).toBe(0);
  });

  it("a conversion overtaken by a newer open is dropped", async () => {
    let release = () => {};
    useApp.setState({ dicomConverter: (inputs) => new Promise((ok) => (release = () => ok(runDcm2niixNode(inputs)))) });
    const slow = useApp.getState().openScanFiles(files(spec(5, "Slow"), "s"));
    expect(useApp.getState().scanBusy).toBe("Converting DICOM series “Slow” (4 images)…");
    const open = useApp.getState().openScan("head.nii", nifti());
    release();
    await open;
    await slow;
    expect(useApp.getState().scan?.name).toBe("head.nii");
    expect(useApp.getState().scanBusy).toBeNull();
  });

  it("a scan opens off the page's thread with its progress shown; a read overtaken by a newer open is dropped", async () => {
    let finish = () => {};
    const seen: (string | null)[] = [];
    const unsubscribe = useApp.subscribe((st) => seen.push(st.scanBusy));
    useApp.setState({
      volumeReader: (bytes, name, frame, onProgress) =>
        name === "big.nii.gz"
          ? new Promise((ok) => {
              onProgress?.(0.4);
              finish = () => ok({ volume: readVolume(bytes, name, frame), sha256: Promise.resolve("") });
            })
          : Promise.resolve({ volume: readVolume(bytes, name, frame), sha256: Promise.resolve("") }),
    });
    const big = useApp.getState().openScan("big.nii.gz", nifti());
    expect(useApp.getState().scanBusy).toBe("Opening big.nii.gz… 40%");
    await useApp.getState().openScan("head.nii", nifti());
    finish();
    await big;
    unsubscribe();
    expect(seen).toContain("Opening big.nii.gz…");
    expect(useApp.getState().scan?.name).toBe("head.nii");
    expect(useApp.getState().scanBusy).toBeNull();
  });
});
