import { orientationCode } from "../core/volume/grid";
import type { Slice } from "./types";

export type ViewMode = "axial" | "coronal" | "sagittal" | "multiplanar" | "render";

/** World axis each 2D view slices along: axial S/I, coronal A/P, sagittal R/L. */
const VIEW_LETTERS: Record<ViewMode, string> = { axial: "SI", coronal: "AP", sagittal: "RL", multiplanar: "SI", render: "SI" };

export type Screen = "viewer" | "study";

export interface ViewSlice {
  /** The viewer (one scan) or the site study (many). */
  screen: Screen;
  setScreen: (s: Screen) => void;
  viewMode: ViewMode;
  opacity: number;
  /** The mask drawn at all (M): off keeps its opacity for when it comes back. */
  maskVisible: boolean;
  hiddenClasses: number[];
  /** Compare view: draw the voxels where base and adapter disagree. */
  showDisagreement: boolean;
  /** What the cursor points at, as niivue reports it. */
  location: string;
  /** A slice the viewer should move to (voxel axis of the scan, index); nonce makes repeats count. */
  jump: { axis: number; index: number; nonce: number } | null;
  /** A step through slices of the shown view (keys); nonce makes repeats count. */
  sliceStep: { delta: number; nonce: number } | null;
  /** The keyboard shortcuts help panel (?). */
  shortcutsOpen: boolean;
  setViewMode: (m: ViewMode) => void;
  setOpacity: (o: number) => void;
  setMaskVisible: (on: boolean) => void;
  toggleClass: (index: number) => void;
  setShowDisagreement: (on: boolean) => void;
  setLocation: (s: string) => void;
  jumpToSlice: (index: number) => void;
  /** Move `delta` slices along the shown view's axis (no-op in 3D). */
  stepSlice: (delta: number) => void;
  setShortcutsOpen: (open: boolean) => void;
  /** The scan's voxel axis that the current view slices along. */
  perSliceAxis: () => number;
}

export const createViewSlice: Slice<ViewSlice> = (set, get) => ({
  screen: "viewer",
  setScreen: (screen) => set({ screen }),
  viewMode: "multiplanar",
  opacity: 0.5,
  maskVisible: true,
  hiddenClasses: [],
  showDisagreement: true,
  location: "",
  jump: null,
  sliceStep: null,
  shortcutsOpen: false,
  setViewMode: (viewMode) => {
    const before = get().perSliceAxis();
    set({ viewMode });
    if (get().perSliceAxis() !== before) get().recomputeEvaluation();
  },
  setOpacity: (opacity) => set({ opacity: Math.min(1, Math.max(0, opacity)) }),
  setMaskVisible: (maskVisible) => set({ maskVisible }),
  toggleClass: (index) =>
    set({ hiddenClasses: get().hiddenClasses.includes(index) ? get().hiddenClasses.filter((i) => i !== index) : [...get().hiddenClasses, index] }),
  setShowDisagreement: (showDisagreement) => set({ showDisagreement }),
  setLocation: (location) => set({ location }),
  jumpToSlice: (index) => set({ jump: { axis: get().perSliceAxis(), index, nonce: (get().jump?.nonce ?? 0) + 1 } }),
  stepSlice: (delta) => set({ sliceStep: { delta, nonce: (get().sliceStep?.nonce ?? 0) + 1 } }),
  setShortcutsOpen: (shortcutsOpen) => set({ shortcutsOpen }),
  perSliceAxis: () => {
    const scan = get().scan;
    if (!scan) return 2;
    const code = orientationCode(scan.volume.affine);
    const letters = VIEW_LETTERS[get().viewMode];
    return [...code].findIndex((c) => letters.includes(c));
  },
});
