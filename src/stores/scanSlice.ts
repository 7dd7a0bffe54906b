import { volumeFormatOfName } from "../core/io/formats";
import { anyDicom, convertSeries, groupDicomSeries, orientationLabel, seriesScanName, type Dcm2niixRun, type DicomInput, type DicomSeries } from "../core/dicom";
import type { ReadVolumeResult, ReadVolumeRun } from "../core/io";
import { sha256Hex } from "../core/manifest/load";
import type { Volume } from "../core/volume/types";
import { convertInWorker } from "../worker/dicomClient";
import { readInWorker } from "../worker/readClient";
import { message, type Slice } from "./types";

export interface LoadedScan {
  name: string;
  /** Read once by core/io: the viewer, the pipeline, the Dice and exports all use this affine. */
  volume: Volume;
  /** sha256 of the file as opened (adapter provenance), computed off the way of the first render; for DICOM, of the NIfTI converted from the series. */
  sha256: Promise<string>;
  /** Set when the scan is a built-in sample site. */
  sample?: { id: string; name: string; synthetic: boolean };
  /** Set when the scan was converted from a DICOM series. */
  dicom?: { description: string; number: number | null; images: number; orientation: string };
  /** The file's bytes, kept only for a 4D file, so another of its volumes can be read. */
  bytes?: Uint8Array;
}

/** Several DICOM series in one drop: the user picks one. */
export interface DicomChoice {
  series: DicomSeries[];
  /** Files that were not DICOM images, left aside. */
  skipped: number;
}

export interface ScanSlice {
  scan: LoadedScan | null;
  scanError: string | null;
  /** Set while a scan opens or a DICOM series converts: what the user waits for. */
  scanBusy: string | null;
  dicomChoice: DicomChoice | null;
  /** Reads the file off the page's thread with progress; a file that cannot be read leaves the loaded scan. */
  openScan: (name: string, bytes: Uint8Array, sample?: LoadedScan["sample"]) => Promise<void>;
  /**
   * Opens what the user dropped or chose: one NIfTI/MGH file, or DICOM files (any names, folders
   * walked by the caller). One series opens at once; several set `dicomChoice`.
   */
  openScanFiles: (files: DicomInput[]) => Promise<void>;
  /** Opens the picked series of `dicomChoice` (by key); null closes the picker. */
  chooseDicomSeries: (key: string | null) => Promise<void>;
  dismissScanError: () => void;
  /** Of a 4D file, makes volume `frame` (0-based) the scan; masks go (they were of another volume), the reference stays. */
  chooseFrame: (frame: number) => Promise<void>;
  /** Runs dcm2niix (a worker in the app; tests may swap it). */
  dicomConverter: Dcm2niixRun;
  /** Reads NIfTI/MGH files (a worker in the app; in-process where there is no Worker). */
  volumeReader: ReadVolumeRun;
}


export const createScanSlice: Slice<ScanSlice> = (set, get) => {
  /** Files of the drop the picker offers (kept out of the store's plain data). */
  let pending: DicomInput[] = [];
  /** Bumped by every open, so a conversion that finishes after a newer open is dropped. */
  let generation = 0;

  const install = (scan: LoadedScan) => get().newScan(scan);

  const convert = async (series: DicomSeries, files: DicomInput[]) => {
    const mine = ++generation;
    const label = seriesScanName(series);
    set({ scanBusy: `Converting DICOM series “${label}” (${series.images} images)…`, scanError: null });
    try {
      const { nifti, volume } = await convertSeries(get().dicomConverter, series.files.map((n) => files[n]), label);
      if (mine !== generation) return;
      install({
        name: label,
        volume,
        sha256: sha256Hex(nifti.bytes).catch(() => "unavailable"),
        dicom: { description: series.description, number: series.number, images: series.images, orientation: orientationLabel(series.orientation) },
      });
    } catch (e) {
      // A series that cannot be converted never replaces what is loaded.
      if (mine === generation) set({ scanError: message(e) });
    } finally {
      if (mine === generation) set({ scanBusy: null });
    }
  };

  /** openScanFiles once any corrections at risk were saved or let go. */
  const openFiles = async (files: DicomInput[]): Promise<void> => {
    pending = [];
    set({ dicomChoice: null });
    if (!anyDicom(files)) {
      const volumes = files.filter((f) => volumeFormatOfName(f.name) !== null);
      if (files.length === 1 || volumes.length === 1) {
        const f = files.length === 1 ? files[0] : volumes[0];
        return get().openScan(f.name.split("/").pop()!, f.bytes);
      }
      set({
        scanError: `${files.length} files were opened and none of them is DICOM (no "DICM" marker at byte 128)${volumes.length ? `; ${volumes.length} are NIfTI or MGH scans` : ""}. Open one NIfTI or MGH scan at a time, or the files of a DICOM series.`,
      });
      return;
    }
    const { series, skipped } = groupDicomSeries(files);
    if (series.length === 0) {
      set({ scanError: `The ${files.length === 1 ? "DICOM file holds" : `${files.length} files hold`} no DICOM image (${[...new Set(skipped.map((s) => s.reason))].join("; ")}).` });
      return;
    }
    if (series.length === 1) return convert(series[0], files);
    pending = files;
    generation++; // a conversion still running is superseded by this choice
    set({ dicomChoice: { series, skipped: skipped.length }, scanBusy: null });
  };

  return {
    scan: null,
    scanError: null,
    scanBusy: null,
    dicomChoice: null,
    dicomConverter: convertInWorker,
    volumeReader: readInWorker,
    // Each way to a new scan asks first when corrections not saved would go with the old one.
    openScan: (name, bytes, sample) => get().guardCorrections(`open ${name}`, async () => {
      const mine = ++generation;
      set({ scanBusy: `Opening ${name}…`, scanError: null });
      let read: ReadVolumeResult;
      try {
        read = await get().volumeReader(bytes, name, 0, (f) => mine === generation && set({ scanBusy: `Opening ${name}… ${Math.round(f * 100)}%` }));
      } catch (e) {
        // A bad file never replaces what is loaded.
        if (mine === generation) set({ scanError: message(e), scanBusy: null });
        return;
      }
      if (mine !== generation) return; // a newer open or conversion took over
      set({ scanBusy: null });
      const { volume } = read;
      install({ name, volume, sample, sha256: read.sha256.catch(() => "unavailable"), ...((volume.frames ?? 1) > 1 ? { bytes } : {}) });
    }),
    chooseFrame: async (frame) => {
      const scan = get().scan;
      if (!scan?.bytes || frame === (scan.volume.frame ?? 0)) return;
      let go = false;
      await get().guardCorrections(`show volume ${frame + 1} of ${scan.name}`, async () => void (go = true));
      if (!go || get().scan !== scan) return;
      let volume: Volume;
      try {
        ({ volume } = await get().volumeReader(scan.bytes, scan.name, frame));
      } catch (e) {
        return set({ scanError: message(e) });
      }
      if (get().scan !== scan) return; // another scan opened meanwhile
      get().newScan({ ...scan, volume }, true);
    },
    openScanFiles: async (files) => {
      if (files.length === 0) {
        pending = [];
        return set({ dicomChoice: null });
      }
      const what = files.length === 1 ? files[0].name.split("/").pop()! : `${files.length} files`;
      await get().guardCorrections(`open ${what}`, () => openFiles(files));
    },
    chooseDicomSeries: async (key) => {
      const choice = get().dicomChoice;
      const files = pending;
      pending = [];
      set({ dicomChoice: null });
      const series = choice?.series.find((s) => s.key === key);
      if (series) await convert(series, files);
    },
    dismissScanError: () => set({ scanError: null }),
  };
};
