import { readVolume } from "../core/io";
import { sha256Hex } from "../core/manifest/load";
import type { Volume } from "../core/volume/types";
import { message, type Slice } from "./types";

export interface LoadedScan {
  name: string;
  /** Read once by core/io: the viewer, the pipeline, the Dice and exports all use this affine. */
  volume: Volume;
  /** sha256 of the file as opened (adapter provenance), computed off the way of the first render. */
  sha256: Promise<string>;
  /** Set when the scan is a built-in sample site. */
  sample?: { id: string; name: string; synthetic: boolean };
}

export interface ScanSlice {
  scan: LoadedScan | null;
  scanError: string | null;
  openScan: (name: string, bytes: Uint8Array, sample?: LoadedScan["sample"]) => void;
  dismissScanError: () => void;
}

export const createScanSlice: Slice<ScanSlice> = (set, get) => ({
  scan: null,
  scanError: null,
  openScan: (name, bytes, sample) => {
    let volume: Volume;
    try {
      volume = readVolume(bytes, name);
    } catch (e) {
      // A bad file never replaces what is loaded.
      set({ scanError: message(e) });
      return;
    }
    get().cancelSegmentation();
    set({ scan: { name, volume, sample, sha256: sha256Hex(bytes).catch(() => "unavailable") }, scanError: null, job: { status: "idle", done: 0, total: 0, error: null } });
    get().clearResults();
    get().clearReference();
  },
  dismissScanError: () => set({ scanError: null }),
});
